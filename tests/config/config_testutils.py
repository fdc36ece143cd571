"""Helpers shared by the config tests (imported as a plain module: tests/ has no packages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionformer.config import ConfigurationError, config_from_dict, validate_config

REPO_ROOT = Path(__file__).resolve().parents[2]


def assert_contains(expected, actual, path: str = "") -> None:
    """Every key/value of ``expected`` is in ``actual``; lists and tuples are interchangeable,
    but int / float / bool / str / None must match in type as well as value."""
    where = path or "<root>"
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing key {key!r}"
            assert_contains(value, actual[key], f"{path}.{key}" if path else key)
    elif isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), f"{where}: expected {expected!r}, got {actual!r}"
        for idx, (e, a) in enumerate(zip(expected, actual)):
            assert_contains(e, a, f"{where}[{idx}]")
    else:
        assert type(actual) is type(expected) and actual == expected, (
            f"{where}: expected {expected!r} ({type(expected).__name__}), "
            f"got {actual!r} ({type(actual).__name__})")


def assert_same(expected, actual, path: str = "") -> None:
    """Like :func:`assert_contains`, and ``actual`` has no extra keys either."""
    assert_contains(expected, actual, path)
    if isinstance(expected, dict):
        extra = set(actual) - set(expected)
        assert not extra, f"{path or '<root>'}: unexpected keys {sorted(extra)}"
        for key in expected:
            assert_same(expected[key], actual[key], f"{path}.{key}" if path else key)
    elif isinstance(expected, (list, tuple)):
        for idx, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{path}[{idx}]")


# the default config with --set overrides, and what validation says of it
def resolved(*overrides: str) -> dict:
    """The resolved default config with ``overrides``, not validated."""
    return config_from_dict({}, overrides=list(overrides), validate=False)


def problems_of(*overrides: str) -> list:
    with pytest.raises(ConfigurationError) as err:
        validate_config(resolved(*overrides))
    return err.value.problems


def only_problem(*overrides: str) -> str:
    problems = problems_of(*overrides)
    assert len(problems) == 1, problems
    return problems[0]
