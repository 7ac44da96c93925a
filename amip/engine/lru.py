"""A small thread-safe LRU of results keyed by a store view's data state and as-of date: what the
dashboard, the API and the reports ask again and again (the Zielnachhaltung's counts, the
backtest). A new import changes the data state, so nothing stale is served."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable


def view_key(db, *parts) -> tuple | None:
    """(data state, as-of, *parts) of a store view; None for a view without a data state."""
    if not hasattr(db, "data_state"):
        return None
    return (db.data_state(), getattr(db, "as_of", None), *parts)


class LRU:
    """The last ``size`` results; ``get`` refreshes an entry, ``put`` evicts the oldest."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value, replace: Callable[[object], bool] = lambda old: True) -> None:
        """Keep ``value`` under ``key`` unless an entry is there that ``replace`` keeps."""
        with self._lock:
            if key not in self._items or replace(self._items[key]):
                self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
