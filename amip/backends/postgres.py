"""The PostgreSQL adapter: a store published into a PostgreSQL schema (:mod:`amip.store.postgres`)."""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

from amip.backends import Adapter as _Base

#: session settings for the engine's queries. JIT off: the planner overestimates the spell and
#: calendar range joins by orders of magnitude (cost 8.8 million for a query that reads 160,000
#: rows), so PostgreSQL compiled the big count query for 2.1 s of its 3.0 s.
SESSION_OPTIONS = "-c jit=off"
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_schema_name(schema: str) -> None:
    if not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"Schemaname {schema!r} ist nicht erlaubt: Kleinbuchstaben, Ziffern und _ "
                         "verwenden, am Anfang ein Buchstabe oder _")


def connect(url: str, schema: str = "amip") -> ibis.BaseBackend:
    """An Ibis PostgreSQL backend whose search_path is ``schema``, with SESSION_OPTIONS (unless
    the URL sets ``options`` itself)."""
    from psycopg.conninfo import conninfo_to_dict

    check_schema_name(schema)
    params = conninfo_to_dict(url)
    kwargs: dict = {k: params.pop(k) for k in ("host", "user", "password") if k in params}
    if "port" in params:
        kwargs["port"] = int(params.pop("port"))
    if "dbname" in params:
        kwargs["database"] = params.pop("dbname")
    params.setdefault("options", SESSION_OPTIONS)
    return ibis.postgres.connect(schema=schema, **kwargs, **params)


class Adapter(_Base):
    """PostgreSQL: a cached (temporary) table has no statistics until analysed."""

    def cache(self, expr: ir.Table) -> ir.Table:
        table = expr.cache()
        self.backend.raw_sql(f'ANALYZE "{table.op().name}"').close()
        return table
