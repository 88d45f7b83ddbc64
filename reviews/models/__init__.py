"""Models of the reviews app; one module per concern, all importable from here."""

from reviews.models.audit import AuditEvent, ReminderLog
from reviews.models.passkeys import Passkey
from reviews.models.profiles import (
    CREDENTIAL_FIELDS,
    IDENTITY_FIELDS,
    ReviewerProfile,
    holds_admin_powers,
    validate_npi,
)
from reviews.models.signoffs import (
    AppendOnlyError,
    AppendOnlyModel,
    AppendOnlyQuerySet,
    ReviewRequest,
    SignOff,
)

__all__ = [
    "CREDENTIAL_FIELDS",
    "IDENTITY_FIELDS",
    "AppendOnlyError",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AuditEvent",
    "Passkey",
    "ReminderLog",
    "ReviewRequest",
    "ReviewerProfile",
    "SignOff",
    "holds_admin_powers",
    "validate_npi",
]
