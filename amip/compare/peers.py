"""One Jobcenter among its peers (in progress)."""
from __future__ import annotations

from amip.compare.shapes import PeerPosition


def peers(view, month, jobcenter_id: str, measures=None) -> PeerPosition:
    """``jobcenter_id`` in ``month``: each measure's figure, rank in Vergleichstyp and Land, the
    Vergleichstyp's median and quartiles, and expected vs actual for the benchmarked measures."""
    raise NotImplementedError
