"""
The writes of the reviews app: every rule about who may sign lives here.

`signoff_create` is the only way a sign-off is made, whoever calls it (the admin review screen,
a management command, the shell): superusers get no way around its checks. Revisions are
duck-typed (`content_hash`, `compute_hash()`, `created_by_id`, `article_id`, `article`,
`number`, `snapshot`), because `reviews` never imports `articles`.

The functions live in one module per concern and are all importable from here.
"""

from reviews.services.audit import audit_record, reminder_claim
from reviews.services.credentials import (
    ReviewerVerificationError,
    can_verify,
    reviewer_profile_save,
    reviewer_revoke,
    reviewer_verify,
)
from reviews.services.integrity import (
    signoff_chain_verify,
    signoff_passkeys_verify,
    signoff_revisions_verify,
)
from reviews.services.signing import (
    CHAIN_LOCK_KEY,
    SignOffRefused,
    passkey_signing_challenge,
    review_request_create,
    separation_of_duties_refusal,
    signoff_create,
)

__all__ = [
    "CHAIN_LOCK_KEY",
    "ReviewerVerificationError",
    "SignOffRefused",
    "audit_record",
    "passkey_signing_challenge",
    "reminder_claim",
    "review_request_create",
    "can_verify",
    "reviewer_profile_save",
    "reviewer_revoke",
    "reviewer_verify",
    "separation_of_duties_refusal",
    "signoff_chain_verify",
    "signoff_create",
    "signoff_passkeys_verify",
    "signoff_revisions_verify",
]
