"""factory_boy factories for the references app."""

from __future__ import annotations

import factory

from references.models import Citation


class CitationFactory(factory.django.DjangoModelFactory):
    """A PubMed-sourced citation with plausible metadata and a unique PMID."""

    class Meta:
        model = Citation
        django_get_or_create = ("pmid",)

    pmid = factory.Sequence(lambda n: str(30000000 + n))
    doi = factory.LazyAttribute(lambda o: f"10.5555/test.{o.pmid}")
    title = factory.Sequence(lambda n: f"A randomised trial of treatment number {n}.")
    authors = factory.LazyFunction(
        lambda: [
            {"last_name": "Tester", "fore_name": "Tina", "initials": "T", "collective_name": ""},
            {"last_name": "Doe", "fore_name": "John A", "initials": "JA", "collective_name": ""},
        ]
    )
    journal_abbrev = "J Tests"
    journal_title = "Journal of tests"
    year = 2020
    month = "Jan"
    volume = "12"
    issue = "3"
    pages = "101-109"
    publication_types = factory.LazyFunction(
        lambda: ["Journal Article", "Randomized Controlled Trial"]
    )
    evidence_label = "rct"
    source = Citation.Source.PUBMED

    class Params:
        is_retracted = factory.Trait(
            retracted=True,
            retraction_notice_pmid="39999999",
            publication_types=["Journal Article", "Retracted Publication"],
        )


class ManualCitationFactory(CitationFactory):
    """A source without a PMID, entered by an editor, with its URL."""

    pmid = None
    doi = ""
    title = factory.Sequence(lambda n: f"National guideline on topic {n}")
    authors = factory.LazyFunction(lambda: [{"collective_name": "National Example Institute"}])
    journal_abbrev = ""
    journal_title = "National Example Institute"
    month = ""
    volume = ""
    issue = ""
    pages = ""
    publication_types = factory.LazyFunction(list)
    evidence_label = "practice_guideline"
    source = Citation.Source.MANUAL
    url = factory.Sequence(lambda n: f"https://www.example.org/guidelines/{n}")

    class Meta:
        model = Citation
        django_get_or_create = ()
