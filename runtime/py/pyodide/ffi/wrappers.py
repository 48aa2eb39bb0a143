"""JS event and timer APIs with the proxies managed: add_event_listener and
remove_event_listener, set_timeout and clear_timeout, set_interval and clear_interval. The
proxy made for a callback lives as long as the listener, timeout or interval does."""

import _kiln_js
from _kiln_ffi import create_once_callable, create_proxy

__all__ = ["add_event_listener", "remove_event_listener", "set_timeout", "clear_timeout",
           "set_interval", "clear_interval"]

# (element's js_id, event type, listener) → the proxy given to addEventListener.
_listeners = {}
# A timer's key (its number in a browser; its js_id in Node, where timers are objects) → the
# proxy given to setTimeout or setInterval.
_timers = {}


def _key(handle):
    return handle if isinstance(handle, int) else handle.js_id


def add_event_listener(elt, event, listener):
    """elt.addEventListener(event, listener), with a proxy kept until removal."""
    proxy = create_proxy(listener)
    _listeners[(elt.js_id, event, listener)] = proxy
    elt.addEventListener(event, proxy)


def remove_event_listener(elt, event, listener):
    """Undoes add_event_listener, destroying its proxy."""
    proxy = _listeners.pop((elt.js_id, event, listener))
    elt.removeEventListener(event, proxy)
    proxy.destroy()


def set_timeout(callback, timeout):
    """setTimeout(callback, timeout); returns the timer. Its proxy goes once it ran."""
    key = None

    def run():
        _timers.pop(key, None)
        callback()

    proxy = create_once_callable(run)
    handle = _kiln_js.global_get("setTimeout")(proxy, timeout)
    key = _key(handle)
    _timers[key] = proxy
    return handle


def clear_timeout(timeout_retval):
    """clearTimeout of a timer set_timeout made, releasing its proxy."""
    _kiln_js.global_get("clearTimeout")(timeout_retval)
    proxy = _timers.pop(_key(timeout_retval), None)
    if proxy is not None:
        proxy.destroy()


def set_interval(callback, interval):
    """setInterval(callback, interval); returns the timer. Its proxy lives until cleared."""
    proxy = create_proxy(callback)
    handle = _kiln_js.global_get("setInterval")(proxy, interval)
    _timers[_key(handle)] = proxy
    return handle


def clear_interval(interval_retval):
    """clearInterval of a timer set_interval made, destroying its proxy."""
    _kiln_js.global_get("clearInterval")(interval_retval)
    proxy = _timers.pop(_key(interval_retval), None)
    if proxy is not None:
        proxy.destroy()
