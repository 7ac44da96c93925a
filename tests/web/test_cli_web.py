"""`amip users add/disable/list` and the `amip serve` options."""

from __future__ import annotations

from click.testing import CliRunner

from amip.cli.web_cmd import serve_cmd, users_group


def test_users_add_list_disable(tmp_path, store_file):
    db = str(tmp_path / "u.sqlite")
    run = CliRunner().invoke
    r = run(users_group, ["add", "anna", "--role", "teamleitung", "--unit", "03504-fi-markt",
                          "--store", str(store_file), "--users-db", db])
    assert r.exit_code == 0, r.output
    password = r.output.split("Passwort (wird nur jetzt angezeigt): ")[1].strip()
    assert len(password) >= 16
    r = run(users_group, ["add", "bob", "--role", "controlling", "--password-stdin",
                          "--users-db", db], input="a long enough secret\n")
    assert r.exit_code == 0 and "Passwort" not in r.output
    r = run(users_group, ["add", "carl", "--role", "teamleitung", "--users-db", db])
    assert r.exit_code == 2 and "--unit" in r.output
    r = run(users_group, ["disable", "anna", "--users-db", db])
    assert r.exit_code == 0
    r = run(users_group, ["list", "--users-db", db])
    assert "anna\tteamleitung\t03504-fi-markt\t-\tdeaktiviert" in r.output
    assert "bob\tcontrolling" in r.output and "aktiv" in r.output

    from amip.web.settings import Settings
    from amip.web.users import UserStore

    store = UserStore(Settings(store=str(tmp_path / "x.duckdb"), users_db=db))
    try:
        assert store.verify("bob", "a long enough secret") is not None
        assert store.verify("anna", password) is None  # disabled
        actions = [(e["action"], e["actor"].startswith("cli")) for e in store.audit.entries()]
        assert ("user.add", True) in actions and ("user.disable", True) in actions
    finally:
        store.close()


def test_serve_needs_a_store(tmp_path):
    r = CliRunner().invoke(serve_cmd, ["--store", str(tmp_path / "missing.duckdb")])
    assert r.exit_code == 2 and "nicht gefunden" in r.output
