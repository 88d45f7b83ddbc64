from django.apps import AppConfig
from django.core import checks


class ReviewsConfig(AppConfig):
    """Medical review: reviewer profiles, sign-offs and the review policy."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Medical review"

    def ready(self) -> None:
        from reviews.policy import check_review_settings
        from reviews.services.lockout import check_signing_lockout_settings

        # A misconfigured review interval would silently mislabel every public stamp, so it
        # fails `manage.py check` (and start-up commands) instead.
        checks.register(check_review_settings)
        # Likewise a signing lockout of 0 would lock every physician out, or never lock.
        checks.register(check_signing_lockout_settings)
