"""The glossary of the web page ``/glossar``, generated from the catalogue: the terms of
``glossary.toml`` (with catalogue parameters filled in), each measure (name, kind, legal basis,
description), the rule versions and the readings amip pins (``readings.toml``)."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from functools import cache

from amip.catalogue import HERE, CatalogueError, load


@dataclass(frozen=True)
class Term:
    key: str  # the anchor on the page (``/glossar#jfw``)
    term: str
    text: str
    source: str = ""


def _read(name: str) -> dict:
    try:
        return tomllib.loads((HERE / name).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CatalogueError(f"{HERE / name}: {e}") from e


@cache
def glossary() -> dict[str, list[Term]]:
    """Section title → terms: Begriffe (alphabetical), Kennzahlen, Regelversionen, Lesarten."""
    cat = load()
    params = dataclasses.asdict(cat.parameters)
    terms = []
    for entry in _read("glossary.toml")["term"]:
        try:
            terms.append(Term(entry["key"], entry["term"], entry["text"].format(**params),
                              entry.get("source", "")))
        except (KeyError, IndexError) as e:
            raise CatalogueError(f"glossary.toml [{entry.get('key', '?')}]: {e!r}") from e
    measures = [Term(i.code.lower(), f"{i.code} – {i.name}",
                     f"{i.kind} ({i.goal}). {i.description}", i.legal_basis)
                for i in cat.indicators.values()]
    rules = [Term(f"regel-{v.key}", f"Regelversion {v.label}", v.title, v.source)
             for v in cat.rules.values()]
    readings = [Term(f"lesart-{n}", r["topic"], r["text"], f"Domänenreferenz {r['basis']}")
                for n, r in enumerate(_read("readings.toml")["reading"], start=1)]
    return {"Begriffe": sorted(terms, key=lambda t: t.term.casefold()),
            "Kennzahlen und Ergänzungsgrößen": measures,
            "Regelversionen": rules, "Lesarten, die amip festlegt": readings}
