"""What the two publish targets (a PostgreSQL schema, a Parquet directory) share: the check that
a target's import log is an earlier state of the store's, said in German."""

from __future__ import annotations

from amip.i18n import local_time


def disagreement(place: str, noun: str, hint: str, theirs: list[tuple], log: list[tuple]) -> str:
    """Why the target's log ``theirs`` is not a prefix of the store's ``log``: ``place`` names
    the target ("Schema amip"), ``noun`` is its noun with article ("das Schema"), ``hint`` the
    way out ("in ein anderes Schema veröffentlichen (--schema)")."""
    def fmt(r) -> str:
        return f"Nr. {r[0]} vom {local_time(r[1])} ({str(r[2])[:12]})"

    for i, r in enumerate(theirs):
        if i >= len(log):
            return (f"{place} enthält den Import {fmt(r)}, den dieser Datenbestand nicht hat "
                    f"(er hat {len(log)} Importe): {noun} enthält die Daten eines anderen "
                    f"Datenbestands. Nichts wurde geändert; {hint}.")
        if tuple(r) != tuple(log[i]):
            return (f"{place} enthält den Import {fmt(r)}, der Datenbestand an seiner Stelle "
                    f"{fmt(log[i])}: {noun} enthält die Daten eines anderen Datenbestands. "
                    f"Nichts wurde geändert; {hint}.")
    return f"{place}: die Importprotokolle weichen voneinander ab"
