"""Simulation profiles: TOML files in ``amip/synth/profiles`` with parameters and targets."""

from __future__ import annotations

import tomllib
from pathlib import Path

PROFILE_DIR = Path(__file__).parent / "profiles"


def available() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load(profile: str | Path = "elbe-elster") -> dict:
    """Load a profile by name (``elbe-elster``) or path to a TOML file."""
    path = Path(profile)
    if not path.suffix:
        path = PROFILE_DIR / f"{profile}.toml"
    if not path.exists():
        raise FileNotFoundError(f"Simulationsprofil {profile!r} gibt es nicht; vorhanden: {', '.join(available())}")
    with open(path, "rb") as f:
        data = tomllib.load(f)
    base = data.get("profile", {}).get("base")
    if base:  # a profile building on another: its tables override the base's key by key
        own = data
        data = _merge(load(base), own)
        for key in NOT_INHERITED:
            data[key] = own.get(key, [])
    data["_path"] = str(path)
    if "national" in data:
        from amip.synth import national

        national.prepare(data)
    return data


#: what a profile never takes from its base (it describes the base's own Jobcenter)
NOT_INHERITED = ("targets", "jobcenter_variants")


def _merge(base: dict, own: dict) -> dict:
    out = dict(base)
    for k, v in own.items():
        out[k] = _merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def jobcenter_list(prof: dict, n: int | None = None) -> list[dict]:
    """The simulated Jobcenter: the profile's own first, then its variants (cycled, renumbered);
    for the national profile the first ``n`` of its list. ``None``: the profile's default (one
    Jobcenter; national: all)."""
    if "national" in prof:
        from amip.synth import national

        return national.jobcenter_list(prof, n)
    n = 1 if n is None else n
    if n < 1:
        raise ValueError("--jobcenters muss mindestens 1 sein")
    jc = prof["jobcenter"]
    out = [dict(id=jc["id"], name=jc["name"], kind=jc["kind"], land=jc.get("land") or None,
                vergleichstyp=jc.get("vergleichstyp") or None, size=1.0,
                standorte=jc["standorte"], codes=jc["standort_codes"],
                weights=jc["standort_weights"])]
    variants = prof.get("jobcenter_variants", [])
    for i in range(1, n):
        v = variants[(i - 1) % len(variants)]
        round_ = (i - 1) // len(variants)
        suffix = f" {round_ + 1}" if round_ else ""
        k = len(v["standorte"])
        out.append(dict(id=f"{int(v['id']) + 100 * round_:05d}", name=v["name"] + suffix,
                        kind=v["kind"], land=None, vergleichstyp=None, size=float(v["size"]),
                        standorte=v["standorte"], codes=v["standort_codes"],
                        weights=[1.0 / k] * k))
    return out
