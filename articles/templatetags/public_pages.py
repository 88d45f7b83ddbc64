"""
Template tags of the public pages. They call Python helpers; no rule is worked out in a template.

- `{% article_json_ld %}`: the page's JSON-LD (`articles.publishing.structured_data`), from
  its context;
- `{{ revision|reading_minutes }}`: the reading time of a revision
  (`articles.publishing.reading_time`);
- `{% absolute_url path %}`: a path on the public address (SITE_URL), for canonical links;
- `{% page_cache_facts %}`: records what an article page was rendered from for the page cache.
"""

from django import template

from articles.public import cache
from articles.publishing import reading_time, structured_data

register = template.Library()


@register.simple_tag(takes_context=True)
def article_json_ld(context):
    """The JSON-LD document of the article page being rendered (safe in a data block)."""
    return structured_data.article_json_ld(context)


@register.filter
def reading_minutes(revision):
    """Whole minutes to read `revision`'s snapshot."""
    return reading_time.reading_minutes(revision.snapshot)


@register.simple_tag
def absolute_url(path):
    """`path` on the site's public address."""
    return structured_data.absolute_url(path)


@register.simple_tag(takes_context=True)
def page_cache_facts(context):
    """
    Leave the page's review facts on the request for `articles.public.cache`; renders nothing.

    The cache wrapper stores them next to the HTML so that a hit can tell, from `now` alone,
    whether the stored page's review status is still right.
    """
    request = context.get("request")
    review = context.get("review")
    revision = context.get("revision")
    if request is not None and review is not None and revision is not None:
        setattr(request, cache.FACTS_ATTRIBUTE, cache.page_facts(review, revision))
    return ""
