"""The table of every setting openwer understands: name, type, default, range, levels.

Names are WER's registry value names (wer-spec §4), with ``.`` standing for the registry's ``\\``:
``Consent\\DefaultConsent`` is ``Consent.DefaultConsent``. In a TOML file they are keys and tables::

    DontShowUI = 1
    [Consent]
    DefaultConsent = 4
    APPCRASH = 2                # per-event consent: Consent.<EventType or ConsentKey>
    [ExcludedApplications]
    "myapp.py" = 1
    [LocalDumps]                # local dumps are on only when this table exists (or one per app)
    DumpCount = 5
    [LocalDumps."myapp.py"]     # per-application values override the global ones field by field
    DumpType = 2
    [Server]
    Url = "https://wer.example.com"

How each value is validated is :mod:`openwer.settings.spec`.

Left out on purpose: ``MaxQueueSize`` (units undocumented), ``DebugApplications`` (no debugger
prompt off Windows), ``RuntimeExceptionHelperModules`` (a DLL allow-list), the live kernel report
values, and the undocumented ``EnableZip``/``ErrorPort``/``MachineID``/``ServiceTimeout``.

Values WER keeps under ``HKLM`` only (``MaxQueueSizePercentage``, ``PurgeThreshholdValueInKB``,
``ForceAdminQueue``) may be set only in the machine and policy files; a user file setting them is
an error. Deviation from WER: ``LocalDumps`` is ``HKLM``-only on Windows, but openwer lets every
level set it, because openwer's dump writer runs as the crashing user and cannot write another
user's dumps.

Pure data and functions: safe to use from any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from openwer.settings.levels import Level
from openwer.settings.spec import ALL_LEVELS, DWORD_MAX, Scalar, SettingSpec, ValueKind

__all__ = ["DEFAULT_CUSTOM_DUMP_FLAGS", "SETTINGS", "SPECS_BY_NAME"]

_MACHINE_LEVELS = frozenset({Level.MACHINE, Level.POLICY})

# MiniDumpWithDataSegs | MiniDumpWithUnloadedModules | MiniDumpWithProcessThreadData
DEFAULT_CUSTOM_DUMP_FLAGS = 0x1 | 0x20 | 0x100


def _flag(name: str, description: str, *, levels: frozenset[Level] = ALL_LEVELS) -> SettingSpec:
    return SettingSpec(tuple(name.split(".")), ValueKind.FLAG, 0, description, levels=levels)


def _int(
    name: str,
    default: int | None,
    low: int,
    high: int,
    description: str,
    *,
    levels: frozenset[Level] = ALL_LEVELS,
) -> SettingSpec:
    return SettingSpec(
        tuple(name.split(".")), ValueKind.INTEGER, default, description, low, high, levels=levels
    )


_CONSENT_CHOICES = (
    (1, "always ask"),
    (2, "parameters only"),
    (3, "parameters and safe data"),
    (4, "all data"),
)


def _local_dumps(scope: tuple[str, ...], app: bool) -> tuple[SettingSpec, ...]:
    # Per-application values default to "inherit the global value" (None).
    def default(value: Scalar) -> Scalar | None:
        return None if app else value

    return (
        SettingSpec(
            (*scope, "DumpFolder"),
            ValueKind.PATH,
            None,
            "folder the dumps go to (default: <user store>/CrashDumps)",
        ),
        SettingSpec(
            (*scope, "DumpCount"),
            ValueKind.INTEGER,
            default(10),
            "dumps kept in the folder, the oldest replaced first; 0 keeps none (turns dumps off)",
            0,
            10_000,
        ),
        SettingSpec(
            (*scope, "DumpType"),
            ValueKind.CHOICE,
            default(1),
            "kind of dump",
            choices=((0, "custom"), (1, "mini"), (2, "full")),
        ),
        SettingSpec(
            (*scope, "CustomDumpFlags"),
            ValueKind.BITMASK,
            default(DEFAULT_CUSTOM_DUMP_FLAGS),
            "MINIDUMP_TYPE bits, used only with DumpType 0",
        ),
    )


SETTINGS: tuple[SettingSpec, ...] = (
    _flag("Disabled", "1 turns error reporting off"),
    _flag("DontShowUI", "1 never shows a consent or problem UI"),
    _flag("DontSendAdditionalData", "1 never sends second-level data (dumps, files)"),
    _flag("LoggingDisabled", "1 turns the problem log off"),
    _flag("ForceQueue", "1 sends every report to the queue first"),
    _flag("DisableQueue", "1 turns queueing off"),
    _flag("DisableArchive", "1 turns the archive off"),
    SettingSpec(
        ("ConfigureArchive",),
        ValueKind.CHOICE,
        1,
        "what the archive keeps of a report",
        choices=((1, "parameters only"), (2, "all data")),
    ),
    _int("MaxArchiveCount", 1000, 1, 5000, "reports the archive keeps"),
    _int("MaxQueueCount", 50, 1, 500, "reports the queue keeps; older ones are deleted"),
    _int(
        "MaxQueueSizePercentage",
        100,
        1,
        100,
        "percent of the disk's free space the queue may use",
        levels=_MACHINE_LEVELS,
    ),
    _int(
        "PurgeThreshholdValueInKB",
        10,
        0,
        DWORD_MAX,
        "size threshold in KB for purging the queue (WER's spelling)",
        levels=_MACHINE_LEVELS,
    ),
    # WER documents no default; 0 turns the reminder off (policy text).
    _int("QueuePesterInterval", 14, 0, 365, "days between 'check for solutions' reminders"),
    _flag("BypassDataThrottling", "1 uploads more than one CAB per event type"),
    _flag("ForceAdminQueue", "1 sends reports to the machine store", levels=_MACHINE_LEVELS),
    _int("MaxReportAgeDays", 30, 1, 3650, "days a queued report is kept (openwer extension)"),
    SettingSpec(
        ("Consent", "DefaultConsent"),
        ValueKind.CHOICE,
        1,
        "what is sent without asking",
        choices=_CONSENT_CHOICES,
    ),
    _flag("Consent.DefaultOverrideBehavior", "1 lets DefaultConsent override per-event consent"),
    SettingSpec(
        ("Consent", "*"),
        ValueKind.CHOICE,
        None,
        "consent for one event type or consent key",
        choices=((0, "send nothing"), *_CONSENT_CHOICES),
    ),
    SettingSpec(
        ("ExcludedApplications", "*"),
        ValueKind.EXCLUSION,
        None,
        "1 keeps this executable out of error reporting",
    ),
    *_local_dumps(("LocalDumps",), app=False),
    *_local_dumps(("LocalDumps", "*"), app=True),
    SettingSpec(("Server", "Url"), ValueKind.URL, None, "collection server URL"),
    SettingSpec(("Server", "Key"), ValueKind.STRING, None, "ingest key sent as a bearer token"),
    SettingSpec(("CorporateWERServer",), ValueKind.STRING, None, "server name (builds Server.Url)"),
    # No default port: the scheme's own (80 or 443) applies.
    _int("CorporateWERPortNumber", None, 1, 65535, "server port (builds Server.Url)"),
    _flag("CorporateWERUseSSL", "1 uses https:// (builds Server.Url)"),
    _flag("CorporateWERUseAuthentication", "1 asks for authentication"),
    SettingSpec(
        ("CorporateWERDirectory",),
        ValueKind.STRING,
        None,
        "directory on the server (builds Server.Url)",
    ),
    # Hang detection in Python programs (openwer extension; docs/hangs.md).
    _flag("Hang.Disabled", "1 turns hang detection and lock tracking off"),
    _int(
        "Hang.ThresholdMs",
        5000,
        50,
        600_000,
        "milliseconds without progress before a hang is reported (WER: 5 s)",
    ),
    _flag("Hang.IgnoreMainThread", "1 watches only heartbeats, asyncio loops and deadlocks"),
    _flag("Hang.DisableLockTracking", "1 stops recording lock owners (no Python wait chains)"),
    SettingSpec(
        ("Hang", "SupervisedAction"),
        ValueKind.CHOICE,
        0,
        "what openwer run does with a program it reported hung (--on-hang)",
        choices=((0, "leave it running"), (1, "kill it"), (2, "restart it if registered")),
    ),
)
"""Every setting, in the order of wer-spec §4 (openwer's own ``Hang.*`` last); listings keep
this order."""

SPECS_BY_NAME: Mapping[str, SettingSpec] = MappingProxyType(
    {spec.name.casefold(): spec for spec in SETTINGS}
)
"""Every spec by its case-folded template name (``localdumps.<name>.dumpcount``)."""
