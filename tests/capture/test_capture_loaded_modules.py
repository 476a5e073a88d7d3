"""The slow path: loaded modules with their files, distributions and versions."""

from __future__ import annotations

import json
import platform
import sys
import types

import pytest
from capture_samples import APP_CONFIG

import openwer
from openwer.capture.config import CaptureConfig
from openwer.capture.loaded_modules import LoadedModules, loaded_modules_details


@pytest.fixture(scope="module")
def details() -> LoadedModules:
    """The modules of this test process."""
    config = CaptureConfig("sampleapp", "1.2.3", None, (), app_path="/srv/sampleapp")
    return loaded_modules_details(config, budget=5.0)


def test_every_module_is_described(details: LoadedModules) -> None:
    """stdlib, built-in, installed library, editable application: each with its version."""
    by_name = {m.name: m for m in details.modules}
    assert details.complete
    assert by_name["json"].origin == "stdlib"
    assert by_name["json"].version == platform.python_version()
    assert by_name["sys"].origin == "builtin"
    assert by_name["sys"].file is None
    pytest_module = by_name["pytest"]
    assert (pytest_module.origin, pytest_module.distribution) == ("library", "pytest")
    assert pytest_module.version == pytest.__version__
    assert by_name[__name__].origin == "application"
    assert by_name[__name__].version == "1.2.3"
    assert by_name["openwer"].distribution == "openwer"
    assert by_name["openwer"].version == openwer.__version__


def test_report_wer_values_list_files_program_first(details: LoadedModules) -> None:
    """LoadedModule[0] is the program; then each distinct module file once."""
    values = details.report_wer_values()
    assert values["LoadedModule[0]"] == "/srv/sampleapp"
    files = list(values.values())
    assert len(files) == len(set(files))
    assert list(values) == [f"LoadedModule[{i}]" for i in range(len(values))]
    assert json.__file__ in files


def test_modules_json_maps_module_to_details(details: LoadedModules) -> None:
    """modules.json: module → file, origin, distribution, version."""
    document = json.loads(details.json_bytes())
    assert document["format"] == 1
    assert document["python"]["version"] == platform.python_version()
    assert document["modules"]["json"]["file"] == json.__file__
    assert set(document["modules"]["pytest"]) == {"file", "origin", "distribution", "version"}


def test_odd_entries_of_sys_modules_are_tolerated() -> None:
    """Non-module objects, non-string keys and namespace packages do not break the pass."""
    namespace_package = types.ModuleType("nspkg")
    namespace_package.__path__ = []
    odd: dict[object, object] = {
        "an_int": 42,
        7: types.ModuleType("seven"),
        "nspkg": namespace_package,
        "json": json,
    }
    result = loaded_modules_details(APP_CONFIG, modules=odd)  # type: ignore[arg-type]
    by_name = {m.name: m for m in result.modules}
    assert set(by_name) == {"an_int", "nspkg", "json"}
    assert by_name["an_int"].origin == "none"
    assert by_name["nspkg"].file is None


def test_the_budget_stops_the_pass() -> None:
    """A spent budget: incomplete, noted, and what was done is kept."""
    result = loaded_modules_details(APP_CONFIG, budget=0.0)
    assert not result.complete
    assert "budget ran out" in result.problems[0]
    assert json.loads(result.json_bytes())["complete"] is False


def test_a_failure_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """If sys.modules cannot even be copied, the result says so."""

    class Unreadable(dict[str, object]):
        def keys(self) -> object:  # type: ignore[override]
            raise RuntimeError("no")

        def __iter__(self) -> object:  # type: ignore[override]
            raise RuntimeError("no")

    result = loaded_modules_details(APP_CONFIG, modules=Unreadable(a=sys))
    assert not result.complete
    assert result.problems == ("loaded modules: RuntimeError",)
