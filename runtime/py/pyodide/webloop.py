"""An asyncio event loop that runs on the JavaScript event loop, as Pyodide's WebLoop does.

There is one thread, and JavaScript owns it: the loop cannot block. Instead it asks the JS
side to call `_run_once` again, once per JS turn while callbacks are ready (`setImmediate` in
Node, a MessageChannel message in a browser: unlike `setTimeout(0)` neither is clamped to
4 ms), or when the earliest timer is due (`setTimeout`). One JS call runs every callback that
was ready when it started, as one iteration of asyncio's own loop does; so tasks make progress
between JS events without `run_until_complete`, and a JS promise awaited by a task resolves
on the JS side, which then wakes the loop.

The loop is installed as the running loop for good (`asyncio.get_running_loop()` works at top
level, `asyncio.create_task` schedules on it). `run_until_complete` cannot block: it schedules
and returns the future; `run_forever` and `stop` do nothing.
"""

import asyncio
import heapq
import math
import sys
import time
from collections import deque

import _kiln_js

__all__ = ["WebLoop", "PyodideFuture", "PyodideTask"]

# setTimeout's largest delay (a signed 32-bit number of milliseconds).
_MAX_DELAY = (2**31 - 1) / 1000


class PyodideFuture(asyncio.Future):
    """An asyncio Future with the promise methods then, catch and finally_."""

    def then(self, onfulfilled=None, onrejected=None):
        """A new future of the result of `onfulfilled(result)` or `onrejected(exception)`
        (either may return an awaitable, which is awaited)."""
        result = self.get_loop().create_future()

        async def settle(source):
            try:
                try:
                    value = source.result()
                except BaseException as exc:
                    if onrejected is None:
                        raise
                    value = onrejected(exc)
                else:
                    if onfulfilled is not None:
                        value = onfulfilled(value)
                if hasattr(value, "__await__"):
                    value = await value
            except asyncio.CancelledError:
                result.cancel()
            except BaseException as exc:
                result.set_exception(exc)
            else:
                result.set_result(value)

        def done(source):
            if source.cancelled() and onrejected is None:
                result.cancel()
                return
            asyncio.ensure_future(settle(source))

        self.add_done_callback(done)
        return result

    def catch(self, onrejected):
        return self.then(None, onrejected)

    def finally_(self, onfinally):
        """A new future with this one's outcome, after `onfinally()` has run."""

        async def run_finally(outcome):
            value = onfinally()
            if hasattr(value, "__await__"):
                await value
            return outcome

        def fulfilled(value):
            return run_finally(value)

        async def rejected(exc):
            await run_finally(None)
            raise exc

        return self.then(fulfilled, rejected)


class PyodideTask(asyncio.Task, PyodideFuture):
    """An asyncio Task with then, catch and finally_."""


class WebLoop(asyncio.AbstractEventLoop):
    """See the module documentation."""

    def __init__(self):
        self._ready = deque()
        self._timers = []  # heap of TimerHandle
        self._wake_at = None  # when the JS side will call _run_once next (None: never)
        self._task_factory = None
        self._exception_handler = None
        self._debug = False
        self._clock_resolution = 0.001
        self._current_handle = None
        self._asyncgens = set()
        self._asyncgens_shutdown_called = False
        asyncio.set_event_loop(self)
        asyncio._set_running_loop(self)
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        _kiln_js.set_helpers(loop_run_once=self._run_once)

    # --- running: there is nothing to run; JS calls _run_once -----------------------------

    def run_forever(self):
        pass

    def run_until_complete(self, future):
        """Cannot block: schedules `future` (a coroutine becomes a task) and returns it."""
        return asyncio.ensure_future(future, loop=self)

    def stop(self):
        pass

    def is_running(self):
        return True

    def is_closed(self):
        return False

    def close(self):
        pass

    async def shutdown_asyncgens(self):
        self._asyncgens_shutdown_called = True
        closing = list(self._asyncgens)
        self._asyncgens.clear()
        for agen in closing:
            try:
                await agen.aclose()
            except Exception as exc:
                self.call_exception_handler({"message": "error closing an async generator",
                                             "exception": exc, "asyncgen": agen})

    async def shutdown_default_executor(self, timeout=None):
        pass

    def _asyncgen_firstiter_hook(self, agen):
        self._asyncgens.add(agen)

    def _asyncgen_finalizer_hook(self, agen):
        self._asyncgens.discard(agen)
        self.create_task(agen.aclose())

    # --- scheduling ------------------------------------------------------------------------

    def _wake(self, when):
        # Ask the JS side for a call of _run_once at `when` (loop time), unless one comes
        # sooner anyway.
        if self._wake_at is not None and self._wake_at <= when:
            return
        self._wake_at = when
        _kiln_js.loop_wake(max(0.0, when - self.time()) * 1000)

    def call_soon(self, callback, *args, context=None):
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        if self._wake_at is None or self._wake_at > 0:
            self._wake_at = 0
            _kiln_js.loop_wake(0)
        return handle

    def call_soon_threadsafe(self, callback, *args, context=None):
        return self.call_soon(callback, *args, context=context)

    def call_later(self, delay, callback, *args, context=None):
        if delay < 0:
            delay = 0
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when, callback, *args, context=None):
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        if when == math.inf:
            return handle  # never due: cancelling it is all that can happen
        when = min(when, self.time() + _MAX_DELAY)
        handle._when = when
        heapq.heappush(self._timers, handle)
        handle._scheduled = True
        self._wake(when)
        return handle

    def _timer_handle_cancelled(self, handle):
        pass  # dropped when it comes up

    def time(self):
        return time.monotonic()

    def _run_once(self):
        """One iteration, called by the JS side: due timers become ready, then every
        callback that is ready now runs."""
        self._wake_at = None
        now = self.time() + self._clock_resolution
        timers = self._timers
        while timers and timers[0]._when <= now:
            handle = heapq.heappop(timers)
            handle._scheduled = False
            if not handle._cancelled:
                self._ready.append(handle)
        for _ in range(len(self._ready)):
            handle = self._ready.popleft()
            if handle._cancelled:
                continue
            self._current_handle = handle
            try:
                handle._run()
            except (KeyboardInterrupt, SystemExit) as exc:
                self._stopped_by(handle, exc)
            finally:
                self._current_handle = None
        while timers and timers[0]._cancelled:
            heapq.heappop(timers)
        if self._ready:
            self._wake(0)
        elif timers:
            self._wake(timers[0]._when)

    def _stopped_by(self, handle, exc):
        # asyncio re-raises KeyboardInterrupt and SystemExit (an interrupt from the JS API's
        # interrupt buffer, sys.exit()) after a task's step has stored them in the task, so
        # that they stop a blocking run_forever. This loop has nothing to stop and whoever
        # awaits the task gets the exception, so the iteration goes on. Raised by any other
        # callback, it is reported as an error in a callback would be.
        task = getattr(handle._callback, "__self__", None)
        if isinstance(task, asyncio.Future) and task.done():
            return
        self.call_exception_handler({"message": f"{type(exc).__name__} in a callback",
                                     "exception": exc, "handle": handle})

    # --- futures and tasks -----------------------------------------------------------------

    def create_future(self):
        return PyodideFuture(loop=self)

    def create_task(self, coro, *, name=None, context=None, **kwargs):
        if self._task_factory is None:
            task = PyodideTask(coro, loop=self, name=name, context=context, **kwargs)
        elif context is None:
            task = self._task_factory(self, coro, **kwargs)
        else:
            task = self._task_factory(self, coro, context=context, **kwargs)
        if name is not None:
            task.set_name(name)
        return task

    def set_task_factory(self, factory):
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self):
        return self._task_factory

    def run_in_executor(self, executor, func, *args):
        """No threads: runs `func` now and returns a finished future."""
        future = self.create_future()
        try:
            future.set_result(func(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def set_default_executor(self, executor):
        pass

    # --- errors ----------------------------------------------------------------------------

    def get_exception_handler(self):
        return self._exception_handler

    def set_exception_handler(self, handler):
        if handler is not None and not callable(handler):
            raise TypeError(f"A callable object or None is expected, got {handler!r}")
        self._exception_handler = handler

    def default_exception_handler(self, context):
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        lines = [message]
        for key in sorted(context):
            if key not in {"message", "exception"}:
                lines.append(f"{key}: {context[key]!r}")
        print("\n".join(lines), file=sys.stderr)
        if exception is not None:
            import traceback

            traceback.print_exception(exception, file=sys.stderr)

    def call_exception_handler(self, context):
        if self._exception_handler is None:
            try:
                self.default_exception_handler(context)
            except BaseException:
                pass
            return
        try:
            self._exception_handler(self, context)
        except BaseException as exc:
            try:
                self.default_exception_handler({
                    "message": "Unhandled error in exception handler",
                    "exception": exc, "context": context,
                })
            except BaseException:
                pass

    def get_debug(self):
        return self._debug

    def set_debug(self, enabled):
        self._debug = enabled


def install():
    """Makes a WebLoop the running event loop (done by the JS API at start-up)."""
    loop = WebLoop()
    return loop
