"""The store: append-only tables of every imported extract, an import log, and as-of views."""

from amip.store.store import DEFAULT_STORE, ImportResult, Store, StoreLocked

__all__ = ["DEFAULT_STORE", "ImportResult", "Store", "StoreLocked"]
