"""Tests of consent resolution: the API's WER_CONSENT combined with the settings scale."""

from __future__ import annotations

import pytest

from openwer.report.consent import EffectiveConsent, resolve_consent
from openwer.types import Consent, ConsentLevel


def resolve(
    api: Consent,
    default: ConsentLevel = ConsentLevel.ALWAYS_ASK,
    per_event: ConsentLevel | None = None,
    *,
    override: bool = False,
    dont_send: bool = False,
) -> EffectiveConsent:
    return resolve_consent(
        api,
        default_consent=default,
        per_event=per_event,
        default_overrides_per_event=override,
        dont_send_additional_data=dont_send,
    )


def test_denied_wins() -> None:
    """WerConsentDenied denies whatever the settings say."""
    result = resolve(Consent.DENIED, ConsentLevel.ALL_DATA)
    assert result.denied
    assert not result.allows_parameters


def test_not_asked_with_always_ask_must_ask() -> None:
    """With the default 'always ask' the user has to be asked before anything is sent."""
    result = resolve(Consent.NOT_ASKED)
    assert result.must_ask
    assert not result.allows_parameters


@pytest.mark.parametrize(
    ("level", "params", "safe", "all_files"),
    [
        (ConsentLevel.PARAMETERS_ONLY, True, False, False),
        (ConsentLevel.PARAMETERS_AND_SAFE_DATA, True, True, False),
        (ConsentLevel.ALL_DATA, True, True, True),
    ],
)
def test_settings_levels(level: ConsentLevel, params: bool, safe: bool, all_files: bool) -> None:
    """Levels 2, 3 and 4 send parameters, plus safe data, plus everything."""
    result = resolve(Consent.NOT_ASKED, level)
    assert not result.must_ask
    assert result.allows_parameters is params
    assert result.allows_file(anonymous=True) is safe
    assert result.allows_file(anonymous=False) is all_files


def test_per_event_overrides_default() -> None:
    """DefaultOverrideBehavior 0: the per-event value wins."""
    assert resolve(
        Consent.NOT_ASKED, ConsentLevel.ALL_DATA, ConsentLevel.PARAMETERS_ONLY
    ).level == (ConsentLevel.PARAMETERS_ONLY)


def test_default_overrides_per_event_when_told() -> None:
    """DefaultOverrideBehavior 1: the default wins."""
    result = resolve(
        Consent.NOT_ASKED, ConsentLevel.ALL_DATA, ConsentLevel.PARAMETERS_ONLY, override=True
    )
    assert result.level == ConsentLevel.ALL_DATA


def test_per_event_zero_sends_nothing_even_when_approved() -> None:
    """A per-event 0 (policy: send no data) wins over the application's approval."""
    result = resolve(Consent.APPROVED, ConsentLevel.ALL_DATA, ConsentLevel.NONE)
    assert result.level == ConsentLevel.NONE
    assert not result.allows_parameters


def test_approved_sends_all_data() -> None:
    """WerConsentApproved means the application obtained consent for the data too."""
    result = resolve(Consent.APPROVED)
    assert result.level == ConsentLevel.ALL_DATA
    assert result.allows_file(anonymous=False)


def test_always_prompt_asks_even_with_consent_configured() -> None:
    """WerConsentAlwaysPrompt asks every time."""
    assert resolve(Consent.ALWAYS_PROMPT, ConsentLevel.ALL_DATA).must_ask


def test_dont_send_additional_data_caps_at_parameters() -> None:
    """DontSendAdditionalData never lets second-level data go."""
    result = resolve(Consent.APPROVED, dont_send=True)
    assert result.level == ConsentLevel.PARAMETERS_ONLY
    assert not result.allows_file(anonymous=True)
