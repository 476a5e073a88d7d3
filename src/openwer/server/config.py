"""The collection server's configuration: defaults, then a TOML file, then the environment,
then command-line options (each layer overrides the one before).

TOML file (``--config FILE``), every key optional::

    [server]
    host = "127.0.0.1"
    port = 8080
    data_dir = "/var/lib/openwer-server"     # default: resolve_paths().server_data_dir
    database = "sqlite:///openwer.sqlite3"   # or postgresql://user@host/db
    blobs = "file:///var/lib/openwer-server/blobs"  # or a folder, or s3://bucket?endpoint=…
    max_report_bytes = 65536                 # stage 1 JSON body limit
    max_bundle_bytes = 67108864              # stage 2 CAB body limit (64 MiB)
    max_cer_report_bytes = 262144            # MS-CER2 level-1 XML limit
    cer_default_product = "windows"          # product of MS-CER2 reports sent without a key
    cer_require_key = false                  # true: MS-CER2 needs an ingest key too
    rate_limit_per_key = 0.0                 # requests/s per ingest key; 0 = no limit
    rate_limit_burst = 0                     # bucket size; 0 = one second's worth (at least 1)
    bundle_max_age_days = 90                 # prune bundles older than this; 0 = keep forever
    bundle_quota_bytes = 0                   # prune oldest beyond this total; 0 = no quota
    retention_interval_seconds = 3600        # how often the server prunes; 0 = never on its own

Environment: ``OPENWER_SERVER_`` and the key in capitals, for every key above:
``OPENWER_SERVER_HOST``, ``OPENWER_SERVER_PORT``, ``OPENWER_SERVER_DATA_DIR``,
``OPENWER_SERVER_DATABASE``, ``OPENWER_SERVER_BLOBS``, ``OPENWER_SERVER_MAX_REPORT_BYTES``,
``OPENWER_SERVER_MAX_BUNDLE_BYTES``, ``OPENWER_SERVER_MAX_CER_REPORT_BYTES``,
``OPENWER_SERVER_CER_DEFAULT_PRODUCT``, ``OPENWER_SERVER_CER_REQUIRE_KEY`` (``1``/``0``,
``true``/``false``), ``OPENWER_SERVER_RATE_LIMIT_PER_KEY``, ``OPENWER_SERVER_RATE_LIMIT_BURST``,
``OPENWER_SERVER_BUNDLE_MAX_AGE_DAYS``, ``OPENWER_SERVER_BUNDLE_QUOTA_BYTES``,
``OPENWER_SERVER_RETENTION_INTERVAL_SECONDS``.

Rate limits (:mod:`openwer.server.rate_limit`) are off by default. When on, every ingest key
(and, for MS-CER2 reports sent without a key, every client address) gets a token bucket of
``rate_limit_burst`` requests refilled at ``rate_limit_per_key`` per second; a request over it is
answered 429 with ``Retry-After`` and stores nothing. The buckets live in each server process:
N servers behind a load balancer let a key through at up to N times the rate.

Retention (:mod:`openwer.server.retention`): every ``retention_interval_seconds`` (and once at
start-up) the server prunes the bundles received more than ``bundle_max_age_days`` ago, then
the oldest while the recorded bundle sizes total more than ``bundle_quota_bytes``. Reports and
hit counts stay; only the CAB goes. ``openwer prune-bundles`` runs one pass by hand.

:class:`ServerConfig` is a frozen value: share it between threads freely. Loading raises
:class:`~openwer.errors.SettingsError` naming the file or variable and the key at fault.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openwer.errors import SettingsError

__all__ = ["ServerConfig", "load_server_config"]

_ENV_PREFIX = "OPENWER_SERVER_"
_MAX_BODY = 0x7FFF_FFFE
# Upper bounds of the rate and retention settings: far beyond any sensible value, low enough
# that the arithmetic on them (timedelta, token counts, asyncio timeouts) cannot overflow.
_LIMITS: dict[str, float] = {
    "rate_limit_per_key": 1e9,
    "rate_limit_burst": 1_000_000_000,
    "bundle_max_age_days": 100 * 366,
    "bundle_quota_bytes": 2**62,
    "retention_interval_seconds": 366 * 86400,
}


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything ``create_app`` and ``openwer serve`` need.

    ``database`` and ``blobs`` of ``None`` mean the defaults under ``data_dir``
    (``sqlite:///openwer.sqlite3`` and the ``blobs`` folder); relative paths are under
    ``data_dir`` (see :func:`openwer.server.blobs.open_blob_store` for the blob URLs).
    """

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    database: str | None = None
    blobs: str | None = None
    max_report_bytes: int = 64 * 1024
    max_bundle_bytes: int = 64 * 1024 * 1024
    max_cer_report_bytes: int = 256 * 1024
    cer_default_product: str | None = None
    cer_require_key: bool = False
    rate_limit_per_key: float = 0.0
    rate_limit_burst: int = 0
    bundle_max_age_days: int = 90
    bundle_quota_bytes: int = 0
    retention_interval_seconds: int = 3600

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"server port must be in 0..65535, not {self.port}")
        for name in ("max_report_bytes", "max_bundle_bytes", "max_cer_report_bytes"):
            value = getattr(self, name)
            if not 1 <= value <= _MAX_BODY:
                raise SettingsError(f"server {name} must be in 1..{_MAX_BODY}, not {value}")
        for name, top in _LIMITS.items():
            value = getattr(self, name)
            # ``not <=`` also refuses NaN, which every comparison answers False for.
            if not 0 <= value <= top:
                raise SettingsError(f"server {name} must be in 0..{top}, not {value}")


_FIELDS: dict[str, type] = {
    "host": str,
    "port": int,
    "data_dir": Path,
    "database": str,
    "blobs": str,
    "max_report_bytes": int,
    "max_bundle_bytes": int,
    "max_cer_report_bytes": int,
    "cer_default_product": str,
    "cer_require_key": bool,
    "rate_limit_per_key": float,
    "rate_limit_burst": int,
    "bundle_max_age_days": int,
    "bundle_quota_bytes": int,
    "retention_interval_seconds": int,
}


def load_server_config(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ServerConfig:
    """Build the configuration from defaults, ``config_file``, ``environ`` and ``overrides``.

    ``overrides`` are command-line values by field name; ``None`` values are ignored.

    Raises:
        SettingsError: the file cannot be read or is not valid TOML, a key is unknown, or a
            value has the wrong type or range.
    """
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(_from_file(config_file))
    env = os.environ if environ is None else environ
    for name, kind in _FIELDS.items():
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw:
            values[name] = _convert(raw, kind, f"${_ENV_PREFIX}{name.upper()}")
    for name, value in overrides.items():
        if name not in _FIELDS:
            raise SettingsError(f"unknown server setting {name!r}")
        if value is not None:
            values[name] = Path(value) if _FIELDS[name] is Path else value
    if "data_dir" not in values:
        from openwer.settings.paths import resolve_paths

        values["data_dir"] = resolve_paths(env).server_data_dir
    values["data_dir"] = Path(os.path.abspath(values["data_dir"]))
    return ServerConfig(**values)


def _from_file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the server configuration: {exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    section = document.get("server", {})
    if not isinstance(section, dict) or set(document) - {"server"}:
        raise SettingsError(f"{path}: the server configuration is one [server] table")
    values: dict[str, Any] = {}
    for key, value in section.items():
        kind = _FIELDS.get(key)
        if kind is None:
            raise SettingsError(f"{path}: unknown key server.{key}")
        where = f"{path}: server.{key}"
        if kind is Path:
            if not isinstance(value, str):
                raise SettingsError(f"{where} must be a string")
            resolved = Path(value)
            values[key] = resolved if resolved.is_absolute() else path.parent / resolved
        elif kind is float and type(value) is int:
            values[key] = float(value)  # TOML writes ``rate_limit_per_key = 5`` as an integer
        elif type(value) is not kind:
            raise SettingsError(f"{where} must be a {kind.__name__}, not {value!r}")
        else:
            values[key] = value
    return values


def _convert(raw: str, kind: type, where: str) -> Any:
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{where} must be true or false, not {raw!r}")
    if kind is int:
        try:
            return int(raw)
        except ValueError as exc:
            raise SettingsError(f"{where} must be a whole number, not {raw!r}") from exc
    if kind is float:
        try:
            return float(raw)
        except ValueError as exc:
            raise SettingsError(f"{where} must be a number, not {raw!r}") from exc
    if kind is Path:
        return Path(raw)
    return raw


def replace(config: ServerConfig, **changes: Any) -> ServerConfig:
    """A copy of ``config`` with ``changes`` (used by tests and ``serve``)."""
    return dataclasses.replace(config, **changes)
