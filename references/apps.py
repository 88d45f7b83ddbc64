from django.apps import AppConfig


class ReferencesConfig(AppConfig):
    """Citations: PubMed metadata, NLM formatting and retraction checks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "references"
    verbose_name = "References"
