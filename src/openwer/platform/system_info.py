"""Facts about this machine and process that reports record (OS version, CPU, locale, uptime).

Every function is cheap, reads only local sources (``os.uname``, ``/proc``, the locale
environment) and never raises: a fact that cannot be read comes back empty or None.
"""

from __future__ import annotations

import locale
import os
import platform
import sys
import time
from dataclasses import dataclass

__all__ = ["OsFacts", "lcid_for_locale", "os_facts", "process_start_time"]

# PROCESSOR_ARCHITECTURE_* numbers WER writes as OsInfo "arch".
_ARCH = {"x86_64": 9, "amd64": 9, "aarch64": 12, "arm64": 12, "i386": 0, "i686": 0, "armv7l": 5}

# Windows LCIDs of common locales: WER's "Locale ID" is an LCID; Linux has locale names.
_LCIDS = {
    "en_us": 1033,
    "en_gb": 2057,
    "en_ca": 4105,
    "en_au": 3081,
    "de_de": 1031,
    "de_at": 3079,
    "de_ch": 2055,
    "fr_fr": 1036,
    "fr_ca": 3084,
    "es_es": 3082,
    "es_mx": 2058,
    "it_it": 1040,
    "pt_br": 1046,
    "pt_pt": 2070,
    "nl_nl": 1043,
    "sv_se": 1053,
    "nb_no": 1044,
    "da_dk": 1030,
    "fi_fi": 1035,
    "pl_pl": 1045,
    "cs_cz": 1029,
    "ru_ru": 1049,
    "uk_ua": 1058,
    "tr_tr": 1055,
    "ja_jp": 1041,
    "ko_kr": 1042,
    "zh_cn": 2052,
    "zh_tw": 1028,
    "zh_hk": 3076,
    "he_il": 1037,
    "ar_sa": 1025,
    "hi_in": 1081,
    "el_gr": 1032,
    "hu_hu": 1038,
    "ro_ro": 1048,
    "c": 1033,
    "posix": 1033,
}


@dataclass(frozen=True, slots=True)
class OsFacts:
    """The operating system as WER's ``OsInfo`` and ``DynamicSig`` describe it."""

    system: str
    release: str
    version: str
    machine: str
    arch_id: int | None
    distribution: str
    locale_name: str
    lcid: int | None
    hostname: str

    @property
    def os_version(self) -> str:
        """The "OS Version" dynamic-signature value: the kernel release (``6.1.0-18-amd64``)."""
        return self.release


def lcid_for_locale(name: str) -> int | None:
    """Return the Windows LCID of a POSIX locale name (``de_DE.UTF-8`` → 1031), if known."""
    base = name.split(".", 1)[0].split("@", 1)[0].lower().replace("-", "_")
    return _LCIDS.get(base)


def _locale_name() -> str:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return value
    try:
        return locale.getlocale()[0] or "C"
    except ValueError:
        return "C"


def _distribution() -> str:
    try:
        release = platform.freedesktop_os_release()
    except OSError:
        return ""
    return release.get("PRETTY_NAME", release.get("NAME", ""))


def os_facts() -> OsFacts:
    """Read the OS facts of this machine."""
    uname = os.uname()
    name = _locale_name()
    return OsFacts(
        system=uname.sysname,
        release=uname.release,
        version=uname.version,
        machine=uname.machine,
        arch_id=_ARCH.get(uname.machine.lower()),
        distribution=_distribution() if sys.platform.startswith("linux") else "",
        locale_name=name,
        lcid=lcid_for_locale(name),
        hostname=uname.nodename,
    )


def process_start_time() -> float | None:
    """Return when this process started (seconds since the epoch), or None if unknown."""
    try:
        with open(f"/proc/{os.getpid()}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])
        with open("/proc/uptime", "rb") as handle:
            uptime = float(handle.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
