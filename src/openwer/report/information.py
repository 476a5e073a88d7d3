"""``WER_REPORT_INFORMATION``: the optional facts an application gives when creating a report."""

from __future__ import annotations

from dataclasses import dataclass

from openwer.errors import InvalidArgumentError, LengthExceededError
from openwer.types import (
    MAX_PATH,
    WER_MAX_APPLICATION_NAME_LENGTH,
    WER_MAX_DESCRIPTION_LENGTH,
    WER_MAX_FRIENDLY_EVENT_NAME_LENGTH,
)

__all__ = ["ReportInformation"]

_CONSENT_KEY_LENGTH = 64  # wzConsentKey[64]
_NAMESPACE_LENGTH = 64  # wzNamespacePartner[64], wzNamespaceGroup[64]


@dataclass(frozen=True, slots=True)
class ReportInformation:
    """The fields of ``WER_REPORT_INFORMATION`` (V1 to V5) that mean something off Windows.

    Empty fields take WER's defaults when the report is written: the consent key and friendly
    event name default to the event type, the application name to the base name of the program.
    ``process_id`` is the target process (``hProcess``); None means the calling process.

    Raises:
        LengthExceededError: a field is longer than its WER buffer.
        InvalidArgumentError: ``application_identity`` is not 16 bytes.
    """

    consent_key: str = ""
    friendly_event_name: str = ""
    application_name: str = ""
    application_path: str = ""
    description: str = ""
    namespace_partner: str = ""
    namespace_group: str = ""
    application_identity: bytes | None = None
    process_id: int | None = None

    def __post_init__(self) -> None:
        limits = (
            ("consent_key", self.consent_key, _CONSENT_KEY_LENGTH),
            ("friendly_event_name", self.friendly_event_name, WER_MAX_FRIENDLY_EVENT_NAME_LENGTH),
            ("application_name", self.application_name, WER_MAX_APPLICATION_NAME_LENGTH),
            ("application_path", self.application_path, MAX_PATH),
            ("description", self.description, WER_MAX_DESCRIPTION_LENGTH),
            ("namespace_partner", self.namespace_partner, _NAMESPACE_LENGTH),
            ("namespace_group", self.namespace_group, _NAMESPACE_LENGTH),
        )
        for field_name, value, limit in limits:
            if len(value) > limit:
                raise LengthExceededError(
                    f"{field_name} is {len(value)} characters; WER allows {limit}"
                )
        if self.application_identity is not None and len(self.application_identity) != 16:
            raise InvalidArgumentError("application_identity must be exactly 16 bytes")
