"""`make run` prepares the site with `setup_site --demo`: roles, demo content, printed logins."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_printed_demo_login_signs_in_to_the_admin(client, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("setup_site", demo=True, stdout=out)
    logins = re.findall(r"username: (\S+)\s+password: (\S+)", out.getvalue())
    assert {username for username, _ in logins} >= {"editor", "reviewer", "admin"}
    for username, password in logins:
        client.logout()
        response = client.post(
            reverse("admin:login"),
            {"username": username, "password": password, "next": reverse("admin:index")},
        )
        assert response.status_code == 302, username
        assert response["Location"] == reverse("admin:index")
        assert client.get(reverse("admin:index")).status_code == 200


def test_running_setup_twice_is_safe(settings):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from articles.models import Article, ArticleRevision

    settings.DEBUG = True
    call_command("setup_site", demo=True, stdout=io.StringIO())
    counts = [
        model.objects.count() for model in (get_user_model(), Group, Article, ArticleRevision)
    ]
    out = io.StringIO()
    call_command("setup_site", demo=True, stdout=out)
    assert "already loaded" in out.getvalue()
    assert counts == [
        model.objects.count() for model in (get_user_model(), Group, Article, ArticleRevision)
    ]


def test_demo_logins_are_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only when DJANGO_DEBUG is on"):
        call_command("setup_site", demo=True, stdout=io.StringIO())
