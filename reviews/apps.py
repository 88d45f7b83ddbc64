from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Medical review: reviewer profiles, sign-offs and the review policy."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Medical review"
