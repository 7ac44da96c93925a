"""docs/extract-format.md names every table, column and code that schema.py declares."""

from pathlib import Path

import pytest

from amip.extract.schema import TABLES

DOC = (Path(__file__).parents[2] / "docs" / "extract-format.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_column_and_code_is_documented(name):
    table = TABLES[name]
    assert f"### {name}" in DOC
    section = DOC.split(f"### {name}", 1)[1].split("\n### ", 1)[0]
    for column in table.columns:
        assert f"`{column.name}`" in section or f"**{column.name}**" in section, column.name
        if column.name in table.key:
            assert f"**{column.name}**" in section, f"key column {column.name} not bold"
        if column.codes and column.name != "instrument":
            for code in column.codes:
                assert f"`{code}`" in section, f"{name}.{column.name}: code {code}"


def test_every_instrument_is_documented():
    from amip.extract.schema import INSTRUMENT_CODES

    table = DOC.split("## Instruments", 1)[1]
    for code in INSTRUMENT_CODES:
        assert f"| `{code}` |" in table


def test_tables_are_documented_in_dependency_order():
    """The page says errors come in the order of its tables: that is the order of TABLES."""
    positions = [DOC.index(f"### {name}") for name in TABLES]
    assert positions == sorted(positions)


def test_every_value_limit_is_documented():
    from amip.extract.schema import KIND_LIMITS, TODAY

    values = DOC.split("## Values", 1)[1].split("\n## ", 1)[0]
    for first, last in KIND_LIMITS.values():
        assert first in values and last in values
    for table in TABLES.values():
        for column in table.columns:
            if column.limits:
                assert f"`{column.name}`" in values, column.name
                assert column.limits[0] in values and (
                    column.limits[1] == TODAY or column.limits[1] in values), column.name


def test_extract_toml_is_documented_and_its_example_is_valid():
    """Every key of ``extract.toml`` that amip reads is in the page, and the page's example is
    what ``amip synth`` writes and parses without a problem."""
    import dataclasses
    import datetime as dt

    from amip.extract.description import Description, parse
    from amip.synth.recording import description

    section = DOC.split("## The extract's own description", 1)[1].split("\n## ", 1)[0]
    for key in ("data_as_of", "data_from", "[data_as_of_by_table]", "[[budget_title_totals]]"):
        assert f"| `{key}` |" in section, key
    # the keys documented are the fields parse() fills (by_table is [data_as_of_by_table],
    # title_totals [[budget_title_totals]])
    assert {f.name for f in dataclasses.fields(Description)} == {"data_as_of", "data_from",
                                                                 "by_table", "title_totals"}
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    parsed, errors = parse(example)
    assert errors == []
    assert parsed == Description(dt.date(2020, 12, 31), dt.date(2009, 1, 1),
                                 {"benefit_months": dt.date(2020, 11, 30)})
    written = description(dt.date(2009, 1, 1), dt.date(2020, 12, 31))
    assert written.split("\n", 1)[1].strip() == example.strip()  # past synth's comment line
