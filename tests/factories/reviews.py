"""Factories for the reviews app. Reviewer profiles are verified, with a licence valid for years."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from reviews.models import ReviewerProfile

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A plain login with a known password (`PASSWORD`), for re-entering it when signing."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AdminUserFactory(UserFactory):
    """A site administrator (superuser)."""

    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class ReviewerProfileFactory(factory.django.DjangoModelFactory):
    """A verified reviewing physician whose licence is valid for another two years."""

    class Meta:
        model = ReviewerProfile

    user = factory.SubFactory(UserFactory, username=factory.Sequence(lambda n: f"reviewer{n}"))
    printed_name = factory.Sequence(lambda n: f"Jane Roe {n}")
    credentials = "DO"
    specialty = "Pain medicine"
    licence_number = factory.Sequence(lambda n: f"DO-{100000 + n}")
    licensing_body = "Texas Medical Board"
    licence_expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=730))
    slug = factory.Sequence(lambda n: f"jane-roe-{n}")
    verified_by = factory.SubFactory(AdminUserFactory)
    verified_at = factory.LazyFunction(timezone.now)
    verification_evidence = "Texas Medical Board public lookup: licence active, no actions."
    verification_checked_on = factory.LazyFunction(timezone.localdate)

    class Params:
        unverified = factory.Trait(
            verified_by=None,
            verified_at=None,
            verification_evidence="",
            verification_checked_on=None,
        )
