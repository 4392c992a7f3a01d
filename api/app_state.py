"""The app's state (`app.state`) as Starlette keeps it, each value also an ordinary attribute.

Starlette's State answers `app.state.x` through `__getattr__`, which Python calls only after an
ordinary lookup has failed: about 0.3 µs a read, and the scan's fast path reads a dozen values a scan.
Here each value set is kept in State's own dict and in the instance's, so a read is an ordinary
attribute read; setting, replacing (tests swap the rate limiter) and deleting keep the two the same.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import State


class AppState(State):
    def __setattr__(self, key: Any, value: Any) -> None:
        self._state[key] = value
        self.__dict__[key] = value

    def __delattr__(self, key: Any) -> None:
        del self._state[key]
        del self.__dict__[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def __delitem__(self, key: str) -> None:
        self.__delattr__(key)
