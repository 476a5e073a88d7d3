"""locals.json: bounded, redacted reprs of the local variables of the failing frames."""

from __future__ import annotations

import dataclasses
import time

from capture_samples import APP_CONFIG, raised

from openwer.capture.local_variables import (
    MAX_FRAMES,
    MAX_REPR,
    MAX_VARIABLES,
    locals_document,
    safe_repr,
)
from openwer.capture.signature import signature_entries
from openwer.capture.source_layout import current_layout


def _locals_of(exc: BaseException, budget: float = 0.05) -> dict[str, object]:
    _, entries = signature_entries(exc)
    document, _ = locals_document(entries, APP_CONFIG, current_layout(), budget=budget)
    return document


def _innermost_variables(exc: BaseException) -> dict[str, str]:
    frames = _locals_of(exc)["frames"]
    assert isinstance(frames, list)
    variables: dict[str, str] = frames[0]["variables"]
    return variables


@dataclasses.dataclass
class Login:
    user: str
    password: str


def test_secret_names_are_redacted_without_calling_repr() -> None:
    """Variables named like secrets show [redacted]; others their repr."""

    class Exploding:
        def __repr__(self) -> str:
            raise AssertionError("a secret's repr must not run")

    def fail() -> None:
        api_key = Exploding()
        Password = "hunter2"  # the case must not matter
        user = "alice"
        raise ValueError(api_key, Password, user)

    variables = _innermost_variables(raised(fail))
    assert variables == {"api_key": "[redacted]", "Password": "[redacted]", "user": "'alice'"}


def test_dict_keys_and_reprs_with_secret_names_are_redacted() -> None:
    """{'token': …}, nested dicts and dataclass fields named like secrets are blanked."""

    def fail() -> None:
        settings = {"host": "db", "auth": {"session_id": "s3cr3t"}, "db_password": "pw"}
        login = Login("bob", "pw2")
        url = "postgres://bob:hunter2@db/main"
        raise ValueError(settings, login, url)

    variables = _innermost_variables(raised(fail))
    assert variables["settings"] == "{'host': 'db', 'auth': [redacted], 'db_password': [redacted]}"
    assert variables["login"] == "Login(user='bob', password=[redacted])"
    assert variables["url"] == "'postgres://bob:[redacted]@db/main'"
    assert "hunter2" not in str(variables)
    assert "pw2" not in str(variables)


def test_reprs_are_truncated() -> None:
    """A long string and a long custom repr are cut to 200 characters."""

    class Long:
        def __repr__(self) -> str:
            return "L" * 10_000

    def fail() -> None:
        text = "x" * 10_000
        long_object = Long()
        raise ValueError(text, long_object)

    variables = _innermost_variables(raised(fail))
    assert len(variables["text"]) <= MAX_REPR
    assert len(variables["long_object"]) == MAX_REPR
    assert variables["long_object"].endswith("...")


def test_a_failing_or_recursive_repr_is_contained() -> None:
    """A repr raising (even SystemExit) and a self-containing list do not break anything."""

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    class Leaving:
        def __repr__(self) -> str:
            raise SystemExit(1)

    def fail() -> None:
        broken, leaving = Broken(), Leaving()
        loop: list[object] = []
        loop.append(loop)
        raise ValueError(broken, leaving, loop)

    variables = _innermost_variables(raised(fail))
    assert variables["broken"] == "<repr failed: RuntimeError>"
    assert variables["leaving"] == "<repr failed: SystemExit>"
    assert variables["loop"].startswith("[[[")


def test_code_and_dunder_names_are_skipped_and_variables_bounded() -> None:
    """Modules, functions, classes and dunders are left out; at most 40 variables."""

    def fail() -> None:
        import json as module  # noqa: F401 - a module-valued local to skip

        def helper() -> None:
            pass

        namespace = {f"v{i}": i for i in range(60)}
        locals().update(namespace)
        raise ValueError(helper)

    frames = _locals_of(raised(fail))["frames"]
    assert isinstance(frames, list)
    variables = frames[0]["variables"]
    assert "module" not in variables
    assert "helper" not in variables
    assert len(variables) <= MAX_VARIABLES


def test_many_variables_are_counted_when_left_out() -> None:
    """Over 40 variables: the rest are counted in omitted_variables."""
    names = ", ".join(f"a{i}" for i in range(50))
    source = f"def fail():\n    {names} = range(50)\n    raise ValueError()\n"
    namespace: dict[str, object] = {}
    exec(compile(source, "<many>", "exec"), namespace)
    fail = namespace["fail"]
    assert callable(fail)
    frames = _locals_of(raised(fail))["frames"]
    assert isinstance(frames, list)
    assert len(frames[0]["variables"]) == MAX_VARIABLES
    assert frames[0]["omitted_variables"] == 10


def test_frames_are_bounded_innermost_first() -> None:
    """A 30-frame recursion: the 10 innermost frames."""

    def down(depth: int) -> None:
        level = depth
        if level == 0:
            raise ValueError("bottom")
        down(depth - 1)

    document = _locals_of(raised(lambda: down(30)))
    frames = document["frames"]
    assert isinstance(frames, list)
    assert len(frames) == MAX_FRAMES
    assert [f["variables"]["level"] for f in frames[:3]] == ["0", "1", "2"]
    assert document["omitted_frames"] == 33 - MAX_FRAMES  # raised, lambda, 31 levels


def test_the_time_budget_stops_slow_reprs() -> None:
    """Once the budget is spent the remaining variables are left out and noted."""

    class Slow:
        def __repr__(self) -> str:
            time.sleep(0.02)
            return "slow"

    def fail() -> None:
        first, second, third = Slow(), Slow(), Slow()
        raise ValueError(first, second, third)

    _, entries = signature_entries(raised(fail))
    document, notes = locals_document(entries, APP_CONFIG, current_layout(), budget=0.01)
    assert document["complete"] is False
    frames = document["frames"]
    assert isinstance(frames, list)
    assert len(frames[0]["variables"]) == 1
    assert frames[0]["omitted_variables"] == 2
    assert "budget ran out" in notes[0]


def test_safe_repr_of_plain_values() -> None:
    """Builtins keep their usual repr."""
    assert safe_repr(42) == "42"
    assert safe_repr("a") == "'a'"
    assert safe_repr({"a": [1, 2]}) == "{'a': [1, 2]}"
    assert safe_repr({}) == "{}"
    assert safe_repr({"a": {"b": {"c": {"d": 1}}}}) == "{'a': {'b': {'c': {...}}}}"
    assert safe_repr(dict.fromkeys(range(20), 0)).endswith(", ...}")
