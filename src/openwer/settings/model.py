"""The effective settings: every layer merged into one immutable, typed snapshot.

Layers are merged lowest first (defaults, machine, user, policy, environment): a value set by a
higher layer replaces a lower one, key by key; per-application ``LocalDumps`` values override the
global ones field by field; ``ExcludedApplications`` is the union of every layer's list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from openwer.settings.appname import application_name
from openwer.settings.keys import SettingEntry, SettingKey, resolve_key
from openwer.settings.layers import LayerValues
from openwer.settings.levels import DEFAULT_SOURCE, Layer
from openwer.settings.localdumps import (
    AppLocalDumps,
    LocalDumpSettings,
    LocalDumpType,
    expand_dump_folder,
)
from openwer.settings.paths import OpenwerPaths, resolve_paths
from openwer.settings.schema import SETTINGS, SPECS_BY_NAME
from openwer.types import ConsentLevel

__all__ = ["ArchiveMode", "Settings", "build_settings"]

_EVENT_CONSENT = SPECS_BY_NAME["consent.<name>"]
_EXCLUSION = SPECS_BY_NAME["excludedapplications.<name>"]
_DUMP_FOLDER = SPECS_BY_NAME["localdumps.dumpfolder"]
_APP_DUMPS = "localdumps.<name>."


class ArchiveMode(IntEnum):
    """``ConfigureArchive``: what the archive keeps of a report."""

    PARAMETERS_ONLY = 1
    ALL_DATA = 2


@dataclass(frozen=True)
class Settings:
    """An immutable snapshot of the effective settings.

    Lifecycle: built by :func:`openwer.settings.load_settings` (or :meth:`defaults`); it never
    changes afterwards, so load again to see edited files. Thread safety: immutable, share it
    freely. Failure contract: the query methods never raise, except :meth:`entry` for a name that
    is not a setting.

    The 0/1 settings are ``bool`` fields; ``entries`` keeps every effective value with its source
    (defaults included) in the schema's order, for ``openwer config list``.
    """

    disabled: bool
    dont_show_ui: bool
    dont_send_additional_data: bool
    logging_disabled: bool
    force_queue: bool
    disable_queue: bool
    disable_archive: bool
    configure_archive: ArchiveMode
    max_archive_count: int
    max_queue_count: int
    max_queue_size_percentage: int
    purge_threshold_kb: int
    queue_pester_interval_days: int
    bypass_data_throttling: bool
    force_admin_queue: bool
    max_report_age_days: int
    default_consent: ConsentLevel
    default_override_behavior: bool
    event_consent: tuple[tuple[str, ConsentLevel], ...]
    excluded_applications: tuple[str, ...]
    local_dumps_enabled: bool
    local_dumps: LocalDumpSettings
    local_dumps_apps: tuple[AppLocalDumps, ...]
    server_url: str | None
    server_key: str | None
    corporate_wer_server: str | None
    corporate_wer_port_number: int | None
    corporate_wer_use_ssl: bool
    corporate_wer_use_authentication: bool
    corporate_wer_directory: str | None
    entries: tuple[SettingEntry, ...]

    @classmethod
    def defaults(cls, paths: OpenwerPaths | None = None) -> Settings:
        """Return WER's defaults (the dump folder from ``paths``, else from ``os.environ``)."""
        folder = (paths or resolve_paths()).default_dump_folder
        return build_settings((), default_dump_folder=folder, environ={})

    def consent_for(self, key: str) -> ConsentLevel | None:
        """Return the per-event consent (``Consent.<key>``) for an event type or consent key.

        Case-insensitive; ``None`` when no layer sets one (``DefaultConsent`` then applies).
        """
        folded = key.casefold()
        for name, level in self.event_consent:
            if name.casefold() == folded:
                return level
        return None

    def is_excluded(self, app: str) -> bool:
        """Whether ``app`` (a name or a path) is in any layer's ``ExcludedApplications``.

        Compares file names only, case-insensitively.
        """
        name = application_name(app).casefold()
        return any(application_name(each).casefold() == name for each in self.excluded_applications)

    def local_dumps_for(self, app: str) -> LocalDumpSettings | None:
        """Return the local dump settings for ``app`` (a name or a path), or ``None`` for no dump.

        ``None`` when ``LocalDumps`` is configured neither globally nor for this application (as in
        WER, where local dumps are on only when the key exists), or when the effective
        ``DumpCount`` is 0.
        """
        name = application_name(app).casefold()
        own = next(
            (
                each
                for each in self.local_dumps_apps
                if application_name(each.app).casefold() == name
            ),
            None,
        )
        if own is None and not self.local_dumps_enabled:
            return None
        result = self.local_dumps if own is None else own.apply_to(self.local_dumps)
        return None if result.dump_count == 0 else result

    def entry(self, dotted_key: str) -> SettingEntry | None:
        """Return the effective value of ``dotted_key`` with its source, ``None`` when unset.

        Raises:
            SettingsError: ``dotted_key`` is not a setting.
        """
        folded = resolve_key(dotted_key).folded
        return next((each for each in self.entries if each.key.folded == folded), None)


def build_settings(
    layers: Iterable[LayerValues],
    *,
    default_dump_folder: Path,
    environ: Mapping[str, str],
) -> Settings:
    """Merge layers (lowest precedence first) over WER's defaults.

    Args:
        layers: The validated layers, lowest precedence first.
        default_dump_folder: ``LocalDumps.DumpFolder`` when no layer sets it.
        environ: Variables that ``DumpFolder`` values are expanded with.

    Raises:
        SettingsError: A ``DumpFolder`` is not absolute once expanded (names its source and key).
    """
    merged: dict[tuple[str, ...], SettingEntry] = {}
    exclusions: list[SettingEntry] = []
    dumps_global = False
    dump_apps: dict[str, str] = {}
    for layer in layers:
        merged.update(layer.entries)
        exclusions += [e for e in layer.entries.values() if e.key.spec is _EXCLUSION and e.value]
        dumps_global = dumps_global or layer.local_dumps_global
        dump_apps.update(layer.local_dump_apps)

    fixed: dict[str, SettingEntry] = {}
    for spec in SETTINGS:
        if spec.is_open:
            continue
        key = SettingKey(spec)
        found = merged.get(key.folded)
        default = str(default_dump_folder) if spec is _DUMP_FOLDER else spec.default
        if found is not None:
            fixed[spec.name] = found
        elif default is not None:
            fixed[spec.name] = SettingEntry(key, default, DEFAULT_SOURCE)
    others = sorted(
        (e for e in merged.values() if e.key.spec.is_open and e.key.spec is not _EXCLUSION),
        key=lambda e: e.key.folded,
    )
    exclusions.sort(key=lambda e: e.key.folded)

    def number(name: str) -> int:
        return int(fixed[name].value)

    def optional(name: str) -> str | None:
        return str(fixed[name].value) if name in fixed else None

    def optional_number(name: str) -> int | None:
        return int(fixed[name].value) if name in fixed else None

    def folder(entry: SettingEntry) -> Path:
        if entry.source.layer is Layer.DEFAULT:
            return default_dump_folder
        return expand_dump_folder(
            str(entry.value), environ, where=entry.source.where, key=entry.name
        )

    apps: dict[str, dict[str, SettingEntry]] = {app: {} for app in dump_apps}
    for entry in others:
        if entry.key.spec.name.casefold().startswith(_APP_DUMPS):
            apps[(entry.key.subject or "").casefold()][entry.key.spec.path[-1]] = entry

    def app_dumps(app: str, values: Mapping[str, SettingEntry]) -> AppLocalDumps:
        def get(leaf: str) -> int | None:
            return int(values[leaf].value) if leaf in values else None

        dump_type = get("DumpType")
        return AppLocalDumps(
            app=app,
            dump_folder=folder(values["DumpFolder"]) if "DumpFolder" in values else None,
            dump_count=get("DumpCount"),
            dump_type=None if dump_type is None else LocalDumpType(dump_type),
            custom_dump_flags=get("CustomDumpFlags"),
        )

    server = optional("CorporateWERServer")
    port = optional_number("CorporateWERPortNumber")
    use_ssl = bool(number("CorporateWERUseSSL"))
    directory = optional("CorporateWERDirectory")
    return Settings(
        disabled=bool(number("Disabled")),
        dont_show_ui=bool(number("DontShowUI")),
        dont_send_additional_data=bool(number("DontSendAdditionalData")),
        logging_disabled=bool(number("LoggingDisabled")),
        force_queue=bool(number("ForceQueue")),
        disable_queue=bool(number("DisableQueue")),
        disable_archive=bool(number("DisableArchive")),
        configure_archive=ArchiveMode(number("ConfigureArchive")),
        max_archive_count=number("MaxArchiveCount"),
        max_queue_count=number("MaxQueueCount"),
        max_queue_size_percentage=number("MaxQueueSizePercentage"),
        purge_threshold_kb=number("PurgeThreshholdValueInKB"),
        queue_pester_interval_days=number("QueuePesterInterval"),
        bypass_data_throttling=bool(number("BypassDataThrottling")),
        force_admin_queue=bool(number("ForceAdminQueue")),
        max_report_age_days=number("MaxReportAgeDays"),
        default_consent=ConsentLevel(number("Consent.DefaultConsent")),
        default_override_behavior=bool(number("Consent.DefaultOverrideBehavior")),
        event_consent=tuple(
            (e.key.subject or "", ConsentLevel(int(e.value)))
            for e in others
            if e.key.spec is _EVENT_CONSENT
        ),
        excluded_applications=tuple(e.key.subject or "" for e in exclusions),
        local_dumps_enabled=dumps_global,
        local_dumps=LocalDumpSettings(
            dump_folder=folder(fixed["LocalDumps.DumpFolder"]),
            dump_count=number("LocalDumps.DumpCount"),
            dump_type=LocalDumpType(number("LocalDumps.DumpType")),
            custom_dump_flags=number("LocalDumps.CustomDumpFlags"),
        ),
        local_dumps_apps=tuple(app_dumps(dump_apps[app], apps[app]) for app in sorted(apps)),
        server_url=optional("Server.Url") or _corporate_url(server, port, use_ssl, directory),
        server_key=optional("Server.Key"),
        corporate_wer_server=server,
        corporate_wer_port_number=port,
        corporate_wer_use_ssl=use_ssl,
        corporate_wer_use_authentication=bool(number("CorporateWERUseAuthentication")),
        corporate_wer_directory=directory,
        entries=(*fixed.values(), *others, *exclusions),
    )


def _corporate_url(
    server: str | None, port: int | None, ssl: bool, directory: str | None
) -> str | None:
    """Build ``Server.Url`` from WER's ``CorporateWER*`` values: ``http(s)://server[:port]/dir``."""
    if not server:
        return None
    host = f"[{server}]" if ":" in server and not server.startswith("[") else server  # IPv6
    netloc = host if port is None else f"{host}:{port}"
    path = (directory or "").strip("/")
    return f"{'https' if ssl else 'http'}://{netloc}" + (f"/{path}" if path else "")
