"""Tests of ``openwer config`` and ``openwer exclude``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli


@pytest.fixture(autouse=True)
def _home(openwer_home: Path) -> None:
    """Every test gets its own OPENWER_HOME."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_get_default_and_set(openwer_home: Path) -> None:
    """get shows WER's default; set writes the user file; get --user reads it back."""
    assert run("config", "get", "Consent.DefaultConsent") == (0, "1\n", "")
    code, out, _ = run("config", "set", "consent.defaultconsent", "4")
    assert code == 0
    assert out.startswith("Consent.DefaultConsent = 4")
    assert run("config", "get", "Consent.DefaultConsent") == (0, "4\n", "")
    assert run("config", "get", "Consent.DefaultConsent", "--user") == (0, "4\n", "")
    user_file = openwer_home / "config" / "openwer" / "settings.toml"
    assert "DefaultConsent = 4" in user_file.read_text()
    code, out, _ = run("config", "get", "Consent.DefaultConsent", "--json")
    assert json.loads(out)["source"] == "user"


def test_set_machine_and_policy(openwer_home: Path) -> None:
    """--machine and --policy write those files; policy wins over user."""
    assert run("config", "set", "MaxQueueCount", "20", "--machine")[0] == 0
    assert run("config", "set", "MaxQueueCount", "30")[0] == 0
    assert run("config", "get", "MaxQueueCount") == (0, "30\n", "")
    assert run("config", "set", "MaxQueueCount", "10", "--policy")[0] == 0
    assert run("config", "get", "MaxQueueCount") == (0, "10\n", "")
    assert (openwer_home / "etc" / "openwer" / "policy.toml").is_file()


def test_per_app_local_dumps() -> None:
    """LocalDumps.<app>.<value> keys work with app names containing dots."""
    assert run("config", "set", "LocalDumps.my.app.py.DumpCount", "3")[0] == 0
    assert run("config", "get", "LocalDumps.my.app.py.DumpCount") == (0, "3\n", "")


def test_invalid_values_exit_1() -> None:
    """Out-of-range values and unknown keys are one clear line and exit 1."""
    code, _, err = run("config", "set", "MaxQueueCount", "0")
    assert code == 1
    assert "MaxQueueCount" in err
    assert "500" in err
    assert err.count("\n") == 1
    code, _, err = run("config", "get", "NoSuchSetting")
    assert code == 1
    assert "NoSuchSetting" in err


def test_unset_and_list() -> None:
    """unset removes a value; list shows values and sources."""
    run("config", "set", "ForceQueue", "1")
    code, out, _ = run("config", "list", "--user", "--json")
    assert [e["key"] for e in json.loads(out)] == ["ForceQueue"]
    assert run("config", "unset", "ForceQueue")[0] == 0
    assert run("config", "unset", "ForceQueue")[0] == 1
    code, out, _ = run("config", "list")
    assert code == 0
    assert "Consent.DefaultConsent" in out
    assert "default" in out
    assert run("config", "list", "--user") == (0, "Nothing set.\n", "")


def test_unset_key_is_not_found() -> None:
    """get of a setting no file sets, for one level, exits 1."""
    code, _, err = run("config", "get", "ForceQueue", "--machine")
    assert code == 1
    assert "not set" in err


def test_exclusions() -> None:
    """exclude add/remove/list keep the last path component."""
    assert run("exclude", "add", "/opt/tools/app.py") == (0, "Excluded app.py\n", "")
    assert run("exclude", "add", "machine.py", "--all-users")[0] == 0
    code, out, _ = run("exclude", "list", "--json")
    assert sorted((e["name"], e["level"]) for e in json.loads(out)) == [
        ("app.py", "user"),
        ("machine.py", "machine"),
    ]
    assert run("exclude", "remove", "app.py")[0] == 0
    code, _, err = run("exclude", "remove", "app.py")
    assert code == 1
    assert err.startswith("openwer: error:")
    assert run("exclude", "add", "dir/")[0] == 1
    code, out, _ = run("exclude", "list")
    assert "machine.py" in out
