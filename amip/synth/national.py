"""The national profile: 404 synthetic Jobcenter with framework conditions and a known effect.

``jobcenter_list(prof, n)`` returns the first ``n`` Jobcenter of the national list (all 404 for
``n = None``), each a dict like :func:`amip.synth.profile.jobcenter_list` gives, plus

- ``land`` (code), ``vergleichstyp`` (label), ``kind`` (``ge``/``zkt``);
- the framework conditions ``unemployment_rate`` (%), ``urbanity`` (0 … 1), ``foreign_share``
  (%), written to the extract's ``jobcenters`` table;
- the simulation truth: ``expected`` (log exit-hazard shift from the conditions, by the declared
  ``[national.effects]``), ``performance`` (the Jobcenter's own residual) and
  ``exit_factor = exp(expected + performance)``, which multiplies the BG exit hazard, and
  ``job_factor = job_level × exit_factor``, which multiplies the odds that the next activity
  episode of an ELB is a job (most Integrationen; ``job_level`` calibrates national K2).

The list is drawn from ``[national] seed`` alone, so it is the same for every ``--seed``,
``--scale`` and ``--jobcenters``. Order: round robin over the Länder (the first 16 are one per
Land), so a short prefix already mixes Länder, types and gE/zkT.
"""

from __future__ import annotations

import numpy as np

#: framework conditions, in the order of ``[national.effects]``
CONDITIONS = ("unemployment_rate", "urbanity", "foreign_share")
SETTLEMENTS = ("rural", "mixed", "urban")
#: Standorte by size (org.units names them "Geschäftsstelle …")
STANDORTE = (("Mitte", "mi"), ("Nord", "no"), ("Süd", "su"), ("Ost", "os"), ("West", "we"))


def is_national(prof: dict) -> bool:
    return "national" in prof


def prepare(prof: dict) -> None:
    """Per-size-unit stock anchors from the national ELB trajectory (in place)."""
    nat = prof["national"]
    units = float(nat["size_units"])
    prof["simulation"]["stock"]["anchors"] = [[m, v / units] for m, v in nat["elb_anchors"]]


def jobcenter_list(prof: dict, n: int | None = None) -> list[dict]:
    """The first ``n`` Jobcenter of the national list (see the module doc)."""
    full = _full_list(prof)
    if n is None:
        return full
    if n < 1:
        raise ValueError("--jobcenters muss mindestens 1 sein")
    if n > len(full):
        raise ValueError(f"--jobcenters {n}: das Profil {prof['profile']['name']} hat "
                         f"{len(full)} Jobcenter")
    return full[:n]


def _full_list(prof: dict) -> list[dict]:
    nat = prof["national"]
    rng = np.random.default_rng(int(nat["seed"]))
    laender = nat["laender"]
    rows = []
    for li, land in enumerate(laender):
        k = int(land["jobcenters"])
        if land.get("city_state"):
            urb = rng.uniform(0.85, 1.0, k)
        else:
            city = rng.random(k) < nat["city_share"]
            urb = np.where(city, rng.uniform(0.6, 0.95, k), rng.beta(2.0, 5.0, k))
        rate = land["unemployment_rate"] * np.exp(rng.normal(0, nat["rate_noise"], k)) \
            * (1 + 0.5 * (urb - 0.3))
        rate = np.clip(rate, 1.5, 16.0)
        foreign = np.clip(3 + 16 * urb + (0 if land["east"] else 5) + rng.normal(0, 2.0, k), 1, 35)
        weight = rate * np.exp(1.5 * urb + rng.normal(0, nat["size_noise"], k))
        elb_share = land["elb_share"] * weight / weight.sum()
        zkt = np.zeros(k, bool)
        zkt[rng.permutation(k)[: int(land["zkt"])]] = True
        order = rng.permutation(k)  # position within the Land in the round robin
        for i in range(k):
            rows.append(dict(li=li, pos=int(order[i]), nr=i + 1, urbanity=float(urb[i]),
                             unemployment_rate=float(rate[i]), foreign_share=float(foreign[i]),
                             elb_share=float(elb_share[i]), zkt=bool(zkt[i])))
    total_share = sum(r["elb_share"] for r in rows)
    _assign_types(rows, nat["vergleichstypen"])
    x = np.array([[r[c] for c in CONDITIONS] for r in rows])
    x = np.round(x, 2)  # as written to the extract
    beta = np.array([float(nat["effects"][c]) for c in CONDITIONS])
    expected = (x - x.mean(0)) @ beta
    perf = rng.normal(0, nat["performance_sd"], len(rows))
    units = float(nat["size_units"])
    out = []
    for r, xi, e, p in zip(rows, x, expected, perf):
        land = laender[r["li"]]
        size = r["elb_share"] / total_share * units
        n_st = 1 + int(size > 1.5) + int(size > 4) + int(size > 9) + int(size > 16)
        urban = r["urbanity"] >= 0.6
        name = (f"Jobcenter {'Stadt' if urban else 'Landkreis'} {land['code']}-{r['nr']:02d}")
        out.append(dict(
            id=f"{int(land['ags']):02d}{r['nr']:03d}", name=name,
            kind="zkt" if r["zkt"] else "ge", land=land["code"], vergleichstyp=r["type"],
            size=size, standorte=[s for s, _ in STANDORTE[:n_st]],
            codes=[c for _, c in STANDORTE[:n_st]], weights=[1.0 / n_st] * n_st,
            **{c: float(v) for c, v in zip(CONDITIONS, xi)},
            expected=float(e), performance=float(p), exit_factor=float(np.exp(e + p)),
            job_factor=float(nat.get("job_level", 1.0) * np.exp(e + p)),
            _order=(r["pos"], r["li"])))
    out.sort(key=lambda j: j.pop("_order"))
    return out


def _assign_types(rows: list[dict], types: list[dict]) -> None:
    """Vergleichstyp by quota: bands by unemployment rate, settlement by urbanity in a band."""
    if sum(int(t["jobcenters"]) for t in types) != len(rows):
        raise ValueError("Die Vergleichstypen des Profils zählen nicht so viele Jobcenter wie "
                         "die Länder")
    by_rate = sorted(range(len(rows)), key=lambda i: (rows[i]["unemployment_rate"], i))
    at = 0
    for band in sorted({int(t["band"]) for t in types}):
        mine = sorted((t for t in types if int(t["band"]) == band),
                      key=lambda t: SETTLEMENTS.index(t["settlement"]))
        k = sum(int(t["jobcenters"]) for t in mine)
        members = sorted(by_rate[at:at + k], key=lambda i: (rows[i]["urbanity"], i))
        at += k
        j = 0
        for t in mine:
            for i in members[j:j + int(t["jobcenters"])]:
                rows[i]["type"] = t["label"]
            j += int(t["jobcenters"])


def truth(prof: dict, n: int | None = None) -> list[dict]:
    """The known simulation truth per Jobcenter (id, conditions, expected, performance,
    exit_factor), for checking a regression against it."""
    keys = ("id", "land", "vergleichstyp", "kind", *CONDITIONS, "expected", "performance",
            "exit_factor")
    return [{k: j[k] for k in keys} for j in jobcenter_list(prof, n)]
