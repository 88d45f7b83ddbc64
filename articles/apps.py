from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    """Editorial content: articles, revisions, topics, contributors and the public pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Editorial content"
