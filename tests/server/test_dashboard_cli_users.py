"""``openwer users add|passwd|scope|list``: dashboard users from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.server.dashboard.passwords import verify_password
from openwer.server.dashboard.user_accounts import user_store
from openwer.server.storage import open_repository

OPENWER = str(Path(sys.executable).with_name("openwer"))


def _run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _hash_of(data_dir: Path, name: str) -> str:
    repository = open_repository(None, data_dir)
    try:
        found = user_store(repository).user_credentials(name)
        assert found is not None
        return found.password_hash
    finally:
        repository.close()


def test_users_add_works_on_an_empty_data_folder(tmp_path: Path, openwer_home: Path) -> None:
    """A real ``openwer users add --password-stdin`` on a folder that does not exist yet: the
    password is the line without its line break (inner and trailing blanks kept)."""
    data_dir = tmp_path / "never-served"
    done = subprocess.run(
        [OPENWER, "users", "add", "admin", "--password-stdin", "--data-dir", str(data_dir)],
        input="  s3cret words \r\nsecond line ignored\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "admin" in done.stdout
    assert "every product" in done.stdout
    stored = _hash_of(data_dir, "admin")
    assert verify_password(stored, "  s3cret words ")
    assert not verify_password(stored, "  s3cret words \r")


def test_passwd_replaces_the_password(tmp_path: Path, openwer_home: Path) -> None:
    """``users passwd`` changes it; an unknown user is one error line and exit 1."""
    assert _run(tmp_path, "users", "add", "alice", "--password-stdin", stdin="first one\n")[0] == 0
    code, out, _ = _run(
        tmp_path, "users", "passwd", "alice", "--password-stdin", stdin="second one"
    )
    assert code == 0
    assert "alice" in out
    stored = _hash_of(tmp_path, "alice")
    assert verify_password(stored, "second one")
    assert not verify_password(stored, "first one")
    code, _, err = _run(tmp_path, "users", "passwd", "bob", "--password-stdin", stdin="x\n")
    assert code == 1
    assert err.startswith("openwer: error:")
    assert "bob" in err


def test_the_password_is_asked_twice_on_the_terminal(tmp_path: Path, openwer_home: Path) -> None:
    """Without --password-stdin the password is prompted, hidden, with a confirmation."""
    code, _, _ = _run(tmp_path, "users", "add", "carol", stdin="long enough pw\nlong enough pw\n")
    assert code == 0
    assert verify_password(_hash_of(tmp_path, "carol"), "long enough pw")


def test_bad_input_is_refused(tmp_path: Path, openwer_home: Path) -> None:
    """Taken names, bad names, empty passwords and unknown products exit non-zero."""
    assert _run(tmp_path, "users", "add", "alice", "--password-stdin", stdin="password1\n")[0] == 0
    code, _, err = _run(tmp_path, "users", "add", "alice", "--password-stdin", stdin="pw2222222\n")
    assert code == 1
    assert "exists already" in err
    assert _run(tmp_path, "users", "add", "a b", "--password-stdin", stdin="password1\n")[0] == 1
    assert _run(tmp_path, "users", "add", "dave", "--password-stdin", stdin="\n")[0] == 2
    assert _run(tmp_path, "users", "add", "dave", "--password-stdin", stdin="")[0] == 2
    code, _, err = _run(
        tmp_path, "users", "add", "erin", "--password-stdin", "--product", "nope", stdin="pw\n"
    )
    assert code == 1
    assert "no product named 'nope'" in err
    code, _, err = _run(tmp_path, "users", "add", "frank", "--password-stdin", stdin="short\n")
    assert code == 0
    assert "easy to guess" in err


def test_scope_and_list(tmp_path: Path, openwer_home: Path) -> None:
    """Users see every product until scoped; ``list --json`` shows it."""
    assert (
        CliRunner().invoke(cli, ["products", "add", "web", "--data-dir", str(tmp_path)]).exit_code
        == 0
    )
    assert (
        CliRunner().invoke(cli, ["products", "add", "api", "--data-dir", str(tmp_path)]).exit_code
        == 0
    )
    assert _run(tmp_path, "users", "add", "ops", "--password-stdin", stdin="password1\n")[0] == 0
    code, out, _ = _run(
        tmp_path, "users", "add", "dev", "--password-stdin", "--product", "web", stdin="password1\n"
    )
    assert code == 0
    assert "sees web" in out
    code, out, _ = _run(tmp_path, "users", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "name": "dev",
            "id": 2,
            "created_at": json.loads(out)[0]["created_at"],
            "products": ["web"],
        },
        {"name": "ops", "id": 1, "created_at": json.loads(out)[1]["created_at"], "products": None},
    ]
    code, out, _ = _run(tmp_path, "users", "scope", "ops", "--product", "api", "--product", "web")
    assert code == 0
    assert "api, web" in out
    code, out, _ = _run(tmp_path, "users", "scope", "dev", "--all-products")
    assert code == 0
    assert "every product" in out
    code, out, _ = _run(tmp_path, "users", "list")
    assert out.splitlines() == ["dev  (every product)", "ops  (api, web)"]
    assert _run(tmp_path, "users", "scope", "dev")[0] == 2


@pytest.mark.parametrize("command", ["add", "passwd", "scope", "list"])
def test_every_command_has_help(command: str) -> None:
    """Each subcommand documents its options."""
    result = CliRunner().invoke(cli, ["users", command, "--help"])
    assert result.exit_code == 0
    assert "--data-dir" in result.stdout
