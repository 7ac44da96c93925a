"""``amip/catalogue/compare.toml``: regressors, benchmarked measures, interval level, the forms
whose aggregates are sums of counts. Checked on load; a broken entry names file and key."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from amip.catalogue import CatalogueError, _read, load
from amip.extract.schema import TABLES

COUNT_FORMS = ("change", "rolling_quota", "rolling_ratio", "month_quota")
MODELS = ("negbin", "quasipoisson")


@dataclass(frozen=True)
class CompareConfig:
    regressors: tuple[str, ...]
    labels: dict[str, str]
    measures: tuple[str, ...]
    level: float
    min_per_parameter: int
    aggregate_forms: tuple[str, ...]
    model: str = "negbin"


@cache
def config() -> CompareConfig:
    raw = _read("compare.toml")
    where = "compare.toml"
    columns = TABLES["jobcenters"].column_names
    regs = raw.get("regressors", [])
    for r in regs:
        if r.get("name") not in columns:
            raise CatalogueError(f"{where} [[regressors]]: {r.get('name')!r} ist keine Spalte "
                                 f"der Tabelle jobcenters")
    cat = load()
    bench = raw["benchmark"]
    for code in bench["measures"]:
        ind = cat.indicators.get(code)
        if ind is None:
            raise CatalogueError(f"{where} [benchmark] measures: unbekannte Kennzahl {code!r}")
        if ind.form not in COUNT_FORMS:
            raise CatalogueError(f"{where} [benchmark] measures: {code} hat die Form "
                                 f"{ind.form}, keine Zählform ({', '.join(COUNT_FORMS)})")
    level = float(bench["level"])
    if not 0 < level < 1:
        raise CatalogueError(f"{where} [benchmark] level: {level} liegt nicht zwischen 0 und 1")
    model = bench.get("model", "negbin")
    if model not in MODELS:
        raise CatalogueError(f"{where} [benchmark] model: {model!r} ist keins von "
                             f"{', '.join(MODELS)}")
    forms = tuple(raw["aggregate"]["forms"])
    if set(forms) - set(COUNT_FORMS):
        raise CatalogueError(f"{where} [aggregate] forms: nur {', '.join(COUNT_FORMS)}")
    return CompareConfig(tuple(r["name"] for r in regs), {r["name"]: r["label"] for r in regs},
                         tuple(bench["measures"]), level,
                         int(bench.get("min_jobcenters_per_parameter", 5)), forms, model)
