"""Consent resolution: which data a report may send, from the API's consent and the settings.

WER combines the consent an application passes (``WER_CONSENT``) with the settings scale
(``Consent\\DefaultConsent`` 1–4, per-event ``Consent\\<key>`` 0–4, ``DefaultOverrideBehavior``,
``DontSendAdditionalData``), wer-spec.md §4 and §8. Pure functions over plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

from openwer.settings import Settings
from openwer.types import Consent, ConsentLevel

__all__ = ["EffectiveConsent", "consent_from_settings", "resolve_consent"]


@dataclass(frozen=True, slots=True)
class EffectiveConsent:
    """The outcome of consent resolution.

    ``level`` is what may be sent without asking; ``must_ask`` says the user has to be asked
    first (until then, nothing is sent); ``denied`` means the application said no.
    """

    level: ConsentLevel
    must_ask: bool = False
    denied: bool = False

    @property
    def allows_parameters(self) -> bool:
        """True when stage 1 (the signature) may be sent now."""
        return not self.denied and not self.must_ask and self.level >= ConsentLevel.PARAMETERS_ONLY

    def allows_file(self, anonymous: bool) -> bool:
        """True when a bundle file may be sent: level 3 sends safe (anonymous) data, 4 all."""
        if not self.allows_parameters:
            return False
        if self.level >= ConsentLevel.ALL_DATA:
            return True
        return anonymous and self.level >= ConsentLevel.PARAMETERS_AND_SAFE_DATA


def resolve_consent(
    api_consent: Consent | int,
    *,
    default_consent: ConsentLevel,
    per_event: ConsentLevel | None,
    default_overrides_per_event: bool,
    dont_send_additional_data: bool,
) -> EffectiveConsent:
    """Combine the application's consent with the settings.

    * ``WerConsentDenied`` → denied.
    * The settings level is the per-event value when there is one, unless
      ``DefaultOverrideBehavior`` = 1 makes the default win.
    * A settings level of 0 ("send no data for this event type") wins over everything.
    * ``WerConsentApproved`` means the application obtained consent: all data may go.
    * ``WerConsentAlwaysPrompt`` asks every time; ``WerConsentNotAsked`` asks only when the
      settings level is 1 ("always ask").
    * ``DontSendAdditionalData`` caps the level at parameters only.
    """
    if api_consent == Consent.DENIED:
        return EffectiveConsent(ConsentLevel.NONE, denied=True)
    settings_level = default_consent
    if per_event is not None and not default_overrides_per_event:
        settings_level = per_event
    if settings_level == ConsentLevel.NONE:
        return EffectiveConsent(ConsentLevel.NONE)
    must_ask = False
    if api_consent == Consent.APPROVED:
        level = ConsentLevel.ALL_DATA
    elif api_consent == Consent.ALWAYS_PROMPT:
        level, must_ask = settings_level, True
    else:
        level = settings_level
        must_ask = settings_level == ConsentLevel.ALWAYS_ASK
    if dont_send_additional_data and level > ConsentLevel.PARAMETERS_ONLY:
        level = ConsentLevel.PARAMETERS_ONLY
    return EffectiveConsent(level, must_ask=must_ask)


def consent_from_settings(
    api_consent: Consent | int, settings: Settings, consent_key: str
) -> EffectiveConsent:
    """:func:`resolve_consent` with the values of ``settings`` for the event's consent key."""
    return resolve_consent(
        api_consent,
        default_consent=settings.default_consent,
        per_event=settings.consent_for(consent_key),
        default_overrides_per_event=settings.default_override_behavior,
        dont_send_additional_data=settings.dont_send_additional_data,
    )
