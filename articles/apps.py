from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    """Editorial content: articles, revisions, topics, contributors and the public pages."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Editorial content"

    def ready(self) -> None:
        import config.checks  # noqa: F401 - registers the project's deployment checks
        from articles.public import purge
        from articles.publishing import receivers
        from articles.publishing.selectors import citations_retracted_among
        from reviews.checks import set_retraction_source

        # The review checks must know which cited papers are retracted, a fact held by
        # `references`, which `reviews` may not import: this app connects the two.
        set_retraction_source(citations_retracted_among)
        # The publication record follows every change that changes what the public may see.
        receivers.connect()
        # E-mail notifications of the editorial loop (articles.publishing.notifications).
        from articles.publishing import notifications

        notifications.connect()
        # Publication changes purge shared caches (Varnish, a CDN) by surrogate key, after commit.
        purge.connect_signals()
        # A cited source retracted (or under concern): its live pages are flagged, sent for
        # review and re-published with the notice, in the transaction that recorded it.
        from articles.publishing.retractions import on_citation_notices_changed
        from references.signals import citation_notices_changed

        citation_notices_changed.connect(
            on_citation_notices_changed, dispatch_uid="articles_citation_notices"
        )
