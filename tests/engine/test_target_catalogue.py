"""targets.toml: what a target follows, read as data (domain reference §11 items 31–34)."""

from decimal import Decimal

import pytest

from amip.catalogue import CatalogueError
from amip.catalogue.targets import MeasureDef, _check, computations, light_thresholds, \
    measure_definitions


def test_every_catalogue_code_and_the_seed_measures_are_followable():
    defs = measure_definitions()
    # 15 § 48a codes + integrations + 7 local/municipal measures of the seed's chapter 3 + five
    # figures of each of the 8 customer groups (<figure>@<group>)
    assert len(defs) == 15 + 1 + 7 + 5 * 8
    assert (defs["K2"].kind, defs["K2"].direction, defs["K2"].unit) == ("quota", "higher", "percent")
    # item 34: lower is better for the LZB stock, K1E2, K1 and K1E1 (sums in euros)
    assert (defs["K3"].kind, defs["K3"].direction) == ("stock", "lower")
    assert (defs["K1"].kind, defs["K1"].unit, defs["K1"].direction) == ("stock", "eur", "lower")
    assert defs["integrations"].kind == "count" and defs["integrations"].fact == "integrations"
    assert defs["fehlerquote_kdu"].source in computations()


def test_light_thresholds_are_parameters():
    t = light_thresholds()
    assert (t.green, t.yellow) == (Decimal("1.00"), Decimal("0.97"))


@pytest.mark.parametrize("field,value", [("kind", "ratio"), ("direction", "up"), ("unit", "kg"),
                                         ("source", "nowhere")])
def test_a_bad_declaration_is_refused(field, value):
    good = dict(id="x", name="X", kind="count", unit="persons", direction="higher", source="entered")
    with pytest.raises(CatalogueError, match=field if field != "source" else "source"):
        _check(MeasureDef(**{**good, field: value}), computations())
