"""The report model and submission: WER's ``WerReport*`` functions as Python objects.

Create a :class:`Report`, set its signature parameters and files, and submit it; the submission
decides from settings, consent and flags whether it is queued, uploaded, archived or discarded.
"""

from openwer.report.consent import EffectiveConsent, resolve_consent
from openwer.report.context import ConsentAnswer, ConsentPrompt, ReportContext
from openwer.report.information import ReportInformation
from openwer.report.parameters import Parameter
from openwer.report.registry import Registry, process_registry
from openwer.report.report import Report, ReportContent, ReportFile
from openwer.report.submission import SubmitAction, SubmitInputs, SubmitPlan, plan_submission

__all__ = [
    "ConsentAnswer",
    "ConsentPrompt",
    "EffectiveConsent",
    "Parameter",
    "Registry",
    "Report",
    "ReportContent",
    "ReportContext",
    "ReportFile",
    "ReportInformation",
    "SubmitAction",
    "SubmitInputs",
    "SubmitPlan",
    "plan_submission",
    "process_registry",
    "resolve_consent",
]
