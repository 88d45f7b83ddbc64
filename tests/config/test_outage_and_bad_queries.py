"""
A database outage answers 503 with Retry-After (config.views.server_error), any other error
Django's 500; control characters in a query string answer 400 before any view runs.

The outage itself, with a real database stopped and started, is in
tests/public/test_faults_servers.py; here the handler is driven by views that raise what the
database drivers raise.
"""

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError
from django.test import Client
from django.urls import path

from config.urls import handler500, urlpatterns  # noqa: F401 - this URLconf keeps the handler


def _raising(error):
    def view(request):
        raise error

    return view


urlpatterns = [
    path("down/", _raising(OperationalError("connection refused"))),
    path("lost/", _raising(InterfaceError("connection already closed"))),
    path("bug/", _raising(ValueError("a bug"))),
    path("query-bug/", _raising(DatabaseError("syntax error at or near"))),
    *urlpatterns,
]


@pytest.fixture
def client_without_raise(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url", ["/down/", "/lost/"])
def test_an_unreachable_database_answers_503_with_retry_after(client_without_raise, url, settings):
    settings.OUTAGE_RETRY_AFTER_SECONDS = 45
    response = client_without_raise.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "45"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "This site is temporarily unavailable" in page
    assert "connection" not in page  # no detail of the failure


@pytest.mark.parametrize("url", ["/bug/", "/query-bug/"])
def test_other_errors_stay_500_without_retry_after(client_without_raise, url):
    response = client_without_raise.get(url)
    assert response.status_code == 500
    assert not response.has_header("Retry-After")
    assert "Sorry, something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["pain%00", "%1b[2J", "ok&x%00=1", "%7f"])
def test_control_characters_in_a_query_answer_400(client, query):
    response = client.get(f"/search/?q={query}")
    assert response.status_code == 400
    assert "control characters" in response.content.decode()


@pytest.mark.django_db
def test_a_nul_in_an_admin_list_search_answers_400(admin_client):
    assert admin_client.get("/admin/articles/article/?q=a%00b").status_code == 400


@pytest.mark.django_db
def test_tabs_and_ordinary_text_still_search(client):
    assert client.get("/search/?q=back%09pain").status_code == 200
