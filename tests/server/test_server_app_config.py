"""Server configuration layers and the server CLI commands on an empty data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from openwer.cli.main import cli
from openwer.errors import SettingsError
from openwer.server.config import load_server_config
from openwer.server.storage import open_repository


def test_defaults_follow_openwer_home(tmp_path: Path) -> None:
    """Without a file or variables the data folder is $OPENWER_HOME/server, port 8080."""
    config = load_server_config(environ={"OPENWER_HOME": str(tmp_path)})
    assert config.data_dir == tmp_path / "server"
    assert (config.host, config.port, config.database) == ("127.0.0.1", 8080, None)
    assert config.blobs is None


def test_file_then_environment_then_options(tmp_path: Path) -> None:
    """The TOML file is overridden by OPENWER_SERVER_* variables, those by options."""
    path = tmp_path / "server.toml"
    path.write_text(
        '[server]\nport = 9000\nhost = "0.0.0.0"\ndata_dir = "d"\nmax_bundle_bytes = 5\n'
    )
    env = {"OPENWER_SERVER_PORT": "9100", "OPENWER_SERVER_CER_REQUIRE_KEY": "true"}
    config = load_server_config(path, env, port=9200)
    assert (config.host, config.port, config.data_dir) == ("0.0.0.0", 9200, tmp_path / "d")
    assert config.max_bundle_bytes == 5
    assert config.cer_require_key
    assert load_server_config(path, env).port == 9100


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ("[server]\nport = '80'\n", {}, "server.port"),
        ("[server]\ncolour = 1\n", {}, "unknown key"),
        ("[server\n", {}, "TOML"),
        ("", {"OPENWER_SERVER_PORT": "http"}, "OPENWER_SERVER_PORT"),
        ("", {"OPENWER_SERVER_PORT": "70000"}, "port"),
    ],
)
def test_invalid_configuration(
    tmp_path: Path, text: str, env: dict[str, str], fragment: str
) -> None:
    """Bad values raise SettingsError naming the key or variable."""
    path = tmp_path / "server.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=fragment):
        load_server_config(path, {"OPENWER_HOME": str(tmp_path), **env})


def test_products_and_tokens_on_an_empty_data_folder(tmp_path: Path) -> None:
    """products add/list/rotate-key and tokens create create and migrate the database."""
    data = tmp_path / "fresh"
    runner = CliRunner()
    added = runner.invoke(cli, ["products", "add", "app", "--json", "--data-dir", str(data)])
    assert added.exit_code == 0, added.output
    first = json.loads(added.output)
    assert first["product"] == "app"
    assert first["key"]
    listed = runner.invoke(cli, ["products", "list", "--json", "--data-dir", str(data)])
    assert [p["name"] for p in json.loads(listed.output)] == ["app"]
    rotated = runner.invoke(
        cli, ["products", "rotate-key", "app", "--json", "--data-dir", str(data)]
    )
    second = json.loads(rotated.output)["key"]
    token = runner.invoke(cli, ["tokens", "create", "--json", "--data-dir", str(data)])
    secret = json.loads(token.output)["token"]
    repository = open_repository(None, data)
    try:
        assert repository.verify_ingest_key(first["key"]) is None
        found = repository.verify_ingest_key(second)
        assert found is not None
        assert found.name == "app"
        assert repository.verify_admin_token(secret) is not None
    finally:
        repository.close()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    """A duplicate product or an unknown one is exit 1 with one line on stderr."""
    runner = CliRunner()
    args = ["--data-dir", str(tmp_path)]
    assert runner.invoke(cli, ["products", "add", "app", *args]).exit_code == 0
    again = runner.invoke(cli, ["products", "add", "app", *args])
    assert again.exit_code == 1
    assert again.stderr.count("\n") == 1
    assert "openwer: error:" in again.stderr
    assert runner.invoke(cli, ["products", "rotate-key", "ghost", *args]).exit_code == 1
