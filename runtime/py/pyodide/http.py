"""HTTP from Python over JavaScript's `fetch`: `pyfetch` (async, any body) and `open_url`
(synchronous, text)."""

import json
from io import StringIO

import _kiln_js
from _kiln_ffi import JsException, to_js

__all__ = ["AbortError", "BodyUsedError", "FetchResponse", "HttpStatusError", "open_url",
           "pyfetch"]


class HttpStatusError(OSError):
    """Raised by FetchResponse.raise_for_status for a status of 400 to 599."""

    def __init__(self, status, status_text, url):
        self.status = status
        self.status_text = status_text
        self.url = url
        kind = "Client" if 400 <= status < 500 else "Server" if 500 <= status < 600 else None
        if kind:
            super().__init__(f"{status} {kind} Error: {status_text} for url: {url}")
        else:
            super().__init__(f"{status} Invalid error code not between 400 and 599: {status_text} for url: {url}")


class BodyUsedError(OSError):
    def __init__(self, *args):
        super().__init__("Response body is already used")


class AbortError(OSError):
    def __init__(self, reason):
        super().__init__(getattr(reason, "message", str(reason)))


class FetchResponse:
    """A fetch Response, with its body read into Python types."""

    def __init__(self, url, js_response, abort_controller=None, abort_signal=None):
        self._url = url
        self.js_response = js_response
        self.abort_controller = abort_controller
        self.abort_signal = abort_signal

    @property
    def body_used(self):
        return self.js_response.bodyUsed

    @property
    def headers(self):
        return dict(self.js_response.headers.entries())

    @property
    def ok(self):
        return self.js_response.ok

    @property
    def redirected(self):
        return self.js_response.redirected

    @property
    def status(self):
        return self.js_response.status

    @property
    def status_text(self):
        return self.js_response.statusText

    @property
    def type(self):
        return self.js_response.type

    @property
    def url(self):
        return self.js_response.url

    def _raise_if_failed(self):
        if (signal := self.abort_signal) is not None and signal.aborted:
            raise AbortError(signal.reason)
        if self.js_response.bodyUsed:
            raise BodyUsedError

    def raise_for_status(self):
        if 400 <= self.status < 600:
            raise HttpStatusError(self.status, self.status_text, self.url)

    def clone(self):
        if self.js_response.bodyUsed:
            raise BodyUsedError
        return FetchResponse(self._url, self.js_response.clone(), self.abort_controller,
                             self.abort_signal)

    async def buffer(self):
        """The body as a JS ArrayBuffer."""
        self._raise_if_failed()
        return await self.js_response.arrayBuffer()

    async def text(self):
        self._raise_if_failed()
        return await self.js_response.text()

    string = text

    async def json(self, **kwargs):
        """The body parsed by json.loads (keyword arguments are passed on)."""
        return json.loads(await self.text(), **kwargs)

    async def memoryview(self):
        return (await self.buffer()).to_memoryview()

    async def bytes(self):
        return (await self.buffer()).to_bytes()

    async def unpack_archive(self, *, extract_dir=None, format=None):
        """Unpacks the body (an archive shutil knows) into `extract_dir` (default: cwd)."""
        import shutil
        import tempfile

        data = await self.bytes()
        name = self._url.rsplit("/", 1)[-1] or "archive"
        with tempfile.NamedTemporaryFile(suffix=name) as f:
            f.write(data)
            f.flush()
            shutil.unpack_archive(f.name, extract_dir, format)

    def abort(self, reason=None):
        if self.abort_controller is None:
            raise ValueError("abort_controller is not set")
        self.abort_controller.abort(reason)


async def pyfetch(url, /, *, signal=None, fetcher=None, **kwargs):
    """Fetches `url` with JavaScript's fetch; keyword arguments are fetch's options
    (method, headers, body, ...). Returns a FetchResponse."""
    AbortController = _kiln_js.global_get("AbortController")
    Object = _kiln_js.global_get("Object")
    controller = AbortController.new() if AbortController is not None else None
    if signal is None and controller is not None:
        signal = controller.signal
    if signal is not None:
        kwargs["signal"] = signal
    fetcher = fetcher or _kiln_js.global_get("fetch")
    options = to_js(kwargs, dict_converter=Object.fromEntries)
    try:
        return FetchResponse(url, await fetcher(url, options), controller, signal)
    except JsException as e:
        raise AbortError(e) from None


def open_url(url):
    """The text at `url`, fetched synchronously, as a StringIO. In a browser: a synchronous
    XMLHttpRequest; in Node, where that does not exist: a file: URL or path is read, and an
    http(s) URL is fetched by a short-lived Node process."""
    return StringIO(_kiln_js.fetch_text_sync(url))
