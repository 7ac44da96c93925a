"""The root of amip's errors: every error a person can act on is an :class:`AmipError` whose
message is German and complete (what went wrong, and what to do), so the shells show it as it
is. The CLI prints ``Fehler: <message>`` and exits non-zero; the web answers with a problem
document or a small German page. The shells catch this type, never a bare ``Exception``: any
other exception is a bug and shows as such.

This module imports nothing of amip, so every layer (extract, store, engine, catalogue, shells)
can derive its errors from it.
"""

from __future__ import annotations


class AmipError(Exception):
    """An error a person can act on; the message is German."""

    #: exit status of the CLI and HTTP status of the web for this kind of error
    exit_code = 1
    http_status = 400


class DataError(AmipError):
    """The data cannot answer: an invalid extract, an unreadable file, a month not covered."""

    http_status = 422


class NotFound(AmipError):
    """Something asked for does not exist: a unit, a Jobcenter, a user."""

    http_status = 404


class StoreError(AmipError):
    """The store cannot be used now (another process writes it) or refuses a change."""

    exit_code = 2
    http_status = 503


class ConfigurationError(AmipError):
    """A catalogue, a settings file or an argument is wrong."""

    exit_code = 2
