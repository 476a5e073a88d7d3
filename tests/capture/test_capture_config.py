"""CaptureConfig.resolve and the application naming rules of docs/events.md."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from capture_samples import write_files

from openwer.capture.application import (
    clean_text,
    default_app_name,
    main_module_name,
    run_module_name,
)
from openwer.capture.config import CaptureConfig
from openwer.errors import InvalidArgumentError


class _Spec:
    def __init__(self, name: object) -> None:
        self.name = name


class _HostileSpec:
    @property
    def name(self) -> str:
        raise RuntimeError("no name")


@pytest.mark.parametrize(
    ("argv", "namespace", "expected"),
    [
        (["/srv/app/importer.py", "--x"], {}, "importer"),
        (["/venv/bin/importer"], {}, "importer"),
        (["tool.pyw"], {}, "tool"),
        (["/x/app.pyz"], {}, "app"),
        (["/x/mydir/__main__.py"], {}, "mydir"),
        (["-c"], {}, "python"),
        ([""], {}, "python"),
        ([], {}, "python"),
        (["/x/pkg/cli.py"], {"__spec__": _Spec("pkg.cli")}, "pkg.cli"),
        (["/x/pkg/__main__.py"], {"__spec__": _Spec("pkg.__main__")}, "pkg"),
        (["/x/app.pyz"], {"__spec__": _Spec("__main__")}, "app"),
        (["/x/a.py"], {"__spec__": _HostileSpec()}, "a"),
        (["/x/a\nb.py"], {}, "a?b"),
    ],
)
def test_default_application_names(
    argv: list[str], namespace: dict[str, object], expected: str
) -> None:
    """P0 by default: script stem, console script, -m module, else python."""
    assert default_app_name(argv, namespace) == expected


@pytest.mark.parametrize(
    ("namespace", "expected"),
    [
        ({"__spec__": _Spec("pkg.cli"), "__file__": "/x/pkg/cli.py"}, "pkg.cli"),
        ({"__spec__": _Spec("pkg.__main__")}, "pkg.__main__"),
        ({"__spec__": None, "__file__": "/srv/importer.py"}, "importer"),
        ({"__spec__": _Spec("__main__"), "__file__": "/x/app.pyz/__main__.py"}, "app"),
        ({"__spec__": _Spec(42), "__file__": "/x/run.py"}, "run"),
        ({}, "__main__"),
        ({"__file__": ""}, "__main__"),
    ],
)
def test_main_module_names(namespace: dict[str, object], expected: str) -> None:
    """__main__ is named by its spec, else its file's stem, else stays __main__."""
    assert main_module_name(namespace) == expected


def test_run_module_name_is_empty_for_scripts() -> None:
    """Only -m gives a run module."""
    assert run_module_name({"__spec__": None}) == ""
    assert run_module_name({"__spec__": _Spec("__mp_main__")}) == ""
    assert run_module_name({"__spec__": _Spec("a.b")}) == "a.b"


def test_clean_text_replaces_control_characters() -> None:
    """Report.wer cannot hold them."""
    assert clean_text("plain text") == "plain text"
    assert clean_text("a\tb\x1bc") == "a?b?c"


def test_explicit_values_are_kept() -> None:
    """install(app_name=…, app_version=…, app_timestamp=…, app_packages=…)."""
    config = CaptureConfig.resolve("Importer", "1.4.2", 0x65F1C2A0, ["importer", "corp.shared"])
    assert (config.app_name, config.app_version, config.app_timestamp) == (
        "Importer",
        "1.4.2",
        0x65F1C2A0,
    )
    assert config.app_timestamp_hex == "65f1c2a0"
    assert config.app_packages[:2] == ("importer", "corp.shared")
    assert config.is_application_module("corp.shared.io")
    assert not config.is_application_module("corp.sharedness")
    assert config.app_path


@pytest.mark.parametrize(
    "arguments",
    [
        {"app_name": ""},
        {"app_name": "x" * 129},
        {"app_name": "a\nb"},
        {"app_version": "   "},
        {"app_version": "1" * 260},
        {"app_timestamp": -1},
        {"app_timestamp": 2**32},
        {"app_timestamp": True},
        {"app_packages": ["not a module"]},
        {"app_packages": ["trailing."]},
    ],
)
def test_invalid_values_are_refused(arguments: dict[str, object]) -> None:
    """Misconfiguration raises at install time, never later."""
    with pytest.raises(InvalidArgumentError):
        CaptureConfig.resolve(**arguments)  # type: ignore[arg-type]


def _fake_main(monkeypatch: pytest.MonkeyPatch, **attributes: object) -> None:
    main = types.ModuleType("__main__")
    for key, value in attributes.items():
        setattr(main, key, value)
    monkeypatch.setitem(sys.modules, "__main__", main)


def test_defaults_come_from_the_script_and_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console script 'myapp' with a distribution myapp 3.1 installed."""
    write_files(tmp_path, {"myapp-3.1.dist-info/METADATA": "Name: myapp\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["/venv/bin/myapp", "run"])
    _fake_main(monkeypatch, __spec__=None, __file__="/venv/bin/myapp")
    config = CaptureConfig.resolve()
    assert (config.app_name, config.app_version, config.app_distribution) == (
        "myapp",
        "3.1",
        "myapp",
    )
    assert config.app_packages == ("myapp",)
    assert config.app_timestamp_hex == "00000000"


def test_defaults_for_python_dash_m(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """python -m mytool.cli: P0 is the module, the version that of the top-level package."""
    write_files(tmp_path, {"mytool-0.5.dist-info/METADATA": ""})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "mytool" / "cli.py")])
    _fake_main(monkeypatch, __spec__=_Spec("mytool.cli"))
    config = CaptureConfig.resolve()
    assert (config.app_name, config.app_version) == ("mytool.cli", "0.5")
    assert config.app_packages == ("mytool.cli", "mytool")


def test_defaults_without_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    """python -c: the application is 'python', with no package and an unknown version."""
    monkeypatch.setattr(sys, "argv", ["-c"])
    _fake_main(monkeypatch)
    config = CaptureConfig.resolve(app_version="2.0")
    assert (config.app_name, config.app_version, config.app_packages) == ("python", "2.0", ())
