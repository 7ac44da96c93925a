"""One benchmark job in its own process: compute all 15 measures × 3 sexes for some months.

Prints JSON: seconds of the computation (after opening the store), records, K2 value.
"""

import json
import sys
import time

from amip.engine.calendar import parse_month
from amip.engine.indicators import compute

kind, where, first, last = sys.argv[1:5]
months = list(range(parse_month(first), parse_month(last) + 1))
if kind == "duckdb":
    from amip.store import Store

    view = Store.open(where, read_only=True).view()
else:
    from amip.store.postgres import postgres_view

    url, _, schema = where.partition("|")
    view = postgres_view(url, schema or "amip")
start = time.perf_counter()
records = compute(view, months)
seconds = time.perf_counter() - start
k2 = next(r.value for r in records if r.code == "K2" and r.sex == "all")
print(json.dumps({"seconds": seconds, "records": len(records), "k2": k2}))
