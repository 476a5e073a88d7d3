"""WER's Win32 API under its Win32 names: ``WerReportCreate``, ``WER_SUBMIT_QUEUE``…

For code ported from Windows. Each function takes the Win32 arguments in order (out parameters
dropped) and returns the HRESULT as an int, or a tuple of the HRESULT followed by the out
parameters::

    hr, report = WerReportCreate("MyEvent", WerReportNonCritical, None)
    hr = WerReportSetParameter(report, WER_P0, "Component", "parser")
    hr, result = WerReportSubmit(report, WerConsentApproved, WER_SUBMIT_QUEUE)
    WerReportCloseHandle(report)

New Python code is better served by :class:`openwer.Report`, which raises typed exceptions.
"""

from __future__ import annotations

from openwer.werapi import (
    constants,
    exclusion_api,
    last_error,
    metadata_structs,
    registration_api,
    report_api,
    store_api,
    wait_chain_api,
    wait_chain_constants,
    wait_chain_structs,
)
from openwer.werapi.constants import *  # noqa: F403
from openwer.werapi.exclusion_api import *  # noqa: F403
from openwer.werapi.last_error import *  # noqa: F403
from openwer.werapi.metadata_structs import *  # noqa: F403
from openwer.werapi.registration_api import *  # noqa: F403
from openwer.werapi.report_api import *  # noqa: F403
from openwer.werapi.store_api import *  # noqa: F403
from openwer.werapi.wait_chain_api import *  # noqa: F403
from openwer.werapi.wait_chain_constants import *  # noqa: F403
from openwer.werapi.wait_chain_structs import *  # noqa: F403

# One list, built from the submodules' own, so a name is never spelled twice.
__all__ = sorted(
    {
        *constants.__all__,
        *report_api.__all__,
        *store_api.__all__,
        *registration_api.__all__,
        *exclusion_api.__all__,
        *metadata_structs.__all__,
        *last_error.__all__,
        *wait_chain_api.__all__,
        *wait_chain_constants.__all__,
        *wait_chain_structs.__all__,
    }
    - {"set_report_context"}
)
