"""Tests of the submit decision (pure): which action and SubmitResult for which inputs."""

from __future__ import annotations

import pytest

from openwer.report.consent import EffectiveConsent
from openwer.report.submission import SubmitAction, SubmitInputs, SubmitPlan, plan_submission
from openwer.types import ConsentLevel, SubmitFlags, SubmitResult

GRANTED = EffectiveConsent(ConsentLevel.ALL_DATA)
ASK = EffectiveConsent(ConsentLevel.ALWAYS_ASK, must_ask=True)
DENIED = EffectiveConsent(ConsentLevel.NONE, denied=True)
NO_DATA = EffectiveConsent(ConsentLevel.NONE)


def plan(
    consent: EffectiveConsent = GRANTED,
    flags: SubmitFlags = SubmitFlags.NONE,
    **kwargs: bool,
) -> SubmitPlan:
    return plan_submission(SubmitInputs(flags=flags, consent=consent, **kwargs))


@pytest.mark.parametrize(("disabled", "excluded"), [(True, False), (False, True)])
def test_disabled_or_excluded(disabled: bool, excluded: bool) -> None:
    """A disabled WER or an excluded application writes nothing: WerDisabled."""
    assert plan(server_reachable=True, disabled=disabled, excluded=excluded) == SubmitPlan(
        SubmitAction.REFUSE, SubmitResult.DISABLED
    )


def test_denied_is_archived_and_cancelled() -> None:
    """Denied consent archives the report and says WerReportCancelled."""
    assert plan(DENIED) == SubmitPlan(SubmitAction.ARCHIVE, SubmitResult.REPORT_CANCELLED)


def test_per_event_zero_is_archived_and_disabled() -> None:
    """A per-event consent of 0 archives the report and says WerDisabled."""
    assert plan(NO_DATA) == SubmitPlan(SubmitAction.ARCHIVE, SubmitResult.DISABLED)


def test_granted_and_reachable_sends() -> None:
    """With consent and a server the report is sent now."""
    assert plan(server_reachable=True).action is SubmitAction.SEND


def test_no_server_queues() -> None:
    """Without a reachable server the report is queued."""
    assert plan() == SubmitPlan(SubmitAction.QUEUE, SubmitResult.REPORT_QUEUED)


@pytest.mark.parametrize("reachable", [False, True])
def test_force_queue(reachable: bool) -> None:
    """ForceQueue sends every report to the queue."""
    assert plan(force_queue=True, server_reachable=reachable).result is SubmitResult.REPORT_QUEUED


def test_queue_flag_queues_even_when_reachable() -> None:
    """WER_SUBMIT_QUEUE queues silently."""
    assert plan(flags=SubmitFlags.QUEUE, server_reachable=True).action is SubmitAction.QUEUE


def test_disable_queue() -> None:
    """DisableQueue turns a report that would be queued into WerDisabledQueue."""
    assert plan(disable_queue=True) == SubmitPlan(SubmitAction.REFUSE, SubmitResult.DISABLED_QUEUE)


def test_must_ask_without_prompt_queues() -> None:
    """When consent must be asked and nobody can be asked, the report waits in the queue."""
    assert plan(ASK, server_reachable=True).result is SubmitResult.REPORT_QUEUED


def test_must_ask_with_prompt_asks() -> None:
    """When consent must be asked and a prompt exists, the user is asked."""
    assert plan(ASK, server_reachable=True, can_ask=True).ask_consent


def test_queue_flag_wins_over_asking() -> None:
    """WER_SUBMIT_QUEUE never shows a prompt."""
    assert plan(ASK, SubmitFlags.QUEUE, can_ask=True).action is SubmitAction.QUEUE


def test_no_queue_discards_without_consent_or_offline() -> None:
    """WER_SUBMIT_NO_QUEUE discards a report it cannot send now."""
    assert plan(ASK, SubmitFlags.NO_QUEUE).result is SubmitResult.REPORT_CANCELLED
    assert plan(GRANTED, SubmitFlags.NO_QUEUE).result is SubmitResult.REPORT_FAILED
    assert plan(GRANTED, SubmitFlags.NO_QUEUE, server_reachable=True).action is SubmitAction.SEND
