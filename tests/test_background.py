"""amip.background: work in a forked child, its result or exception back, and the fallbacks."""

from __future__ import annotations

import os

import pytest

from amip import background
from amip.store.store import Store

PARENT = os.getpid()


@pytest.fixture
def forkable(monkeypatch):
    """Pretend no store is open here. Safe for these tests: the children never touch DuckDB."""
    monkeypatch.setattr(Store, "opened_in_process", False)
    monkeypatch.delenv("AMIP_BACKGROUND", raising=False)


def pid_and(x):
    return os.getpid(), x


def fail(message):
    raise ValueError(message)


def die_in_child(x):
    if os.getpid() != PARENT:
        os._exit(3)  # a child killed without a word
    return x * 2


def unpicklable(_):
    return lambda: None  # a lambda does not pickle


_warmed = []


def warm():
    _warmed.append(os.getpid())


def warmed_and(x):
    return list(_warmed), x


def test_runs_in_a_child_and_returns_the_value(forkable):
    pending = background.start(pid_and, {"a": [1, 2]})
    assert pending.in_background
    pid, value = pending.result()
    assert pid != PARENT and value == {"a": [1, 2]}
    assert pending.result() == (pid, value)  # asked twice: the same value, no second run


def test_the_works_exception_is_raised_here(forkable):
    pending = background.start(fail, "K2 braucht Daten")
    with pytest.raises(ValueError, match="K2 braucht Daten"):
        pending.result()


def test_later_argument_and_warm_up_run_in_the_child(forkable):
    pending = background.start(warmed_and, background.LATER, warm=warm, nice=5)
    with pytest.raises(RuntimeError, match="before send"):  # not a wait for ever
        pending.result()
    pending.send("Bericht")
    warmed, value = pending.result()
    assert value == "Bericht"
    assert len(warmed) == 1 and warmed[0] != PARENT  # warmed in the child …
    assert _warmed == []  # … not here
    with pytest.raises(RuntimeError, match="already given"):
        pending.send("again")


def test_a_dead_child_means_the_work_runs_here(forkable):
    pending = background.start(die_in_child, 21)
    assert pending.in_background
    assert pending.result() == 42  # computed here after the child died with exit code 3


def test_an_unpicklable_result_means_the_work_runs_here(forkable):
    pending = background.start(unpicklable, None)
    assert callable(pending.result())


def test_no_fork_once_a_store_is_open(monkeypatch):
    monkeypatch.setattr(Store, "opened_in_process", False)
    assert background.fork_is_safe()
    Store.memory().close()
    assert Store.opened_in_process and not background.fork_is_safe()
    pending = background.start(pid_and, 1)
    assert not pending.in_background
    assert pending.result() == (PARENT, 1)


def test_turned_off_by_environment(forkable, monkeypatch):
    monkeypatch.setenv("AMIP_BACKGROUND", "0")
    pending = background.start(warmed_and, background.LATER, warm=warm)
    assert not pending.in_background
    with pytest.raises(RuntimeError, match="before send"):
        pending.result()
    pending.send(7)
    assert pending.result() == ([], 7)  # in-process: no warm-up needed, none run
