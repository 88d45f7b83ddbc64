from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    """Editorial content: articles, revisions, topics, contributors and the public pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Editorial content"

    def ready(self) -> None:
        from articles.public.cache import connect_signals
        from articles.publishing import receivers
        from articles.publishing.selectors import citations_retracted_among
        from reviews.checks import set_retraction_source

        # The review checks must know which cited papers are retracted, a fact held by
        # `references`, which `reviews` may not import: this app connects the two.
        set_retraction_source(citations_retracted_among)
        # Publishing, unpublishing and signing purge the cached article page.
        connect_signals()
        # A later "changes requested" or a revocation takes a live page's stamp away.
        receivers.connect()
