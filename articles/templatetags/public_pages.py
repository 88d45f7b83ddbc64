"""
Template tags of the public pages. They call Python helpers; no rule is worked out in a template.

- `{% absolute_url path %}`: a path on the public address (SITE_URL), for canonical links.
- `{{ instant|public_moment }}`: when something happened, as public pages print it: the date in
  the site language's style (`DATE_FORMAT` of `config/formats`), and the time of day only when
  `PUBLIC_SHOW_TIME` is on.
"""

from django import template
from django.conf import settings
from django.utils import dateformat, formats, timezone

from articles.publishing import structured_data

register = template.Library()


@register.simple_tag
def absolute_url(path):
    """`path` on the site's public address."""
    return structured_data.absolute_url(path)


@register.filter
def public_moment(value):
    """The date of `value` in the site's style ("31 May 2026"), with the time if configured."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    text = formats.date_format(value, "DATE_FORMAT")
    if settings.PUBLIC_SHOW_TIME:
        text += f", {formats.time_format(value, 'TIME_FORMAT')} {dateformat.format(value, 'T')}"
    return text
