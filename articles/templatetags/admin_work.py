"""`{% your_work as rows %}`: the admin home's "Your work" rows for the signed-in person."""

from django import template

from articles.public.work import work_for

register = template.Library()


@register.simple_tag(takes_context=True)
def your_work(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return work_for(request.user)
