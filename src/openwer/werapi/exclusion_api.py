"""``WerAddExcludedApplication`` / ``WerRemoveExcludedApplication`` over the settings files.

``bAllUsers`` TRUE edits the machine settings (E_ACCESSDENIED without write access), FALSE the
user's. Wine-verified rules (wer-spec.md §1.12): NULL or empty name → E_INVALIDARG, a path keeps
only its last component, a path ending in a separator → E_INVALIDARG, adding twice → S_OK,
removing an application that is not excluded → ``HRESULT_FROM_WIN32(ERROR_ENVVAR_NOT_FOUND)``.
"""

from __future__ import annotations

from openwer.settings import add_excluded_application, remove_excluded_application
from openwer.types import HResult
from openwer.werapi.report_api import report_context
from openwer.werapi.translation import hresult_of

__all__ = ["WerAddExcludedApplication", "WerRemoveExcludedApplication"]


def WerAddExcludedApplication(pwzExeName: str | None, bAllUsers: bool) -> int:
    """Exclude an application from error reporting."""
    if not pwzExeName:
        return int(HResult.E_INVALIDARG)
    try:
        add_excluded_application(report_context().paths, pwzExeName, bool(bAllUsers))
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)


def WerRemoveExcludedApplication(pwzExeName: str | None, bAllUsers: bool) -> int:
    """Stop excluding an application."""
    if not pwzExeName:
        return int(HResult.E_INVALIDARG)
    try:
        remove_excluded_application(report_context().paths, pwzExeName, bool(bAllUsers))
    except Exception as exc:
        return hresult_of(exc)
    return int(HResult.S_OK)
