"""
Template tags of the public pages. They call Python helpers; no rule is worked out in a template.

- `{% absolute_url path %}`: a path on the public address (SITE_URL), for canonical links.
"""

from django import template

from articles.publishing import structured_data

register = template.Library()


@register.simple_tag
def absolute_url(path):
    """`path` on the site's public address."""
    return structured_data.absolute_url(path)
