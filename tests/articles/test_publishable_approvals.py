"""
`SignOff.objects.publishable()`: an approval in force is offered for publishing only while its
signer is verified and their login active. The admin's status and its "Publish approved
revision" button read it; `publish_refusal` checks the same standing when publishing.
"""

import pytest

from articles.models import Article
from articles.publishing.admin.publishing import approved_unpublished_revision
from reviews.models import SignOff
from reviews.services import reviewer_profile_save
from tests.factories.articles import ArticleFactory, EditorFactory
from tests.factories.reviews import AdminUserFactory, ReviewerProfileFactory
from tests.factories.workflow import approved_revision

pytestmark = pytest.mark.django_db


def lose_standing(physician, standing):
    if standing == "unverified":
        physician.licence_number = "NEW-1"  # a credential change withdraws the verification
        reviewer_profile_save(profile=physician, actor=AdminUserFactory())
    else:
        physician.user.is_active = False
        physician.user.save()


@pytest.mark.parametrize("standing", ["unverified", "deactivated"])
def test_an_approval_is_offered_for_publishing_only_while_its_signer_is_in_good_standing(
    standing,
):
    article = ArticleFactory()
    physician = ReviewerProfileFactory()
    revision = approved_revision(article, editor=EditorFactory(), reviewer=physician)
    approval = SignOff.objects.get(revision=revision)
    assert list(SignOff.objects.publishable()) == [approval]
    assert Article.objects.with_status().get(pk=article.pk).status == "approved"
    assert approved_unpublished_revision(article) == revision

    lose_standing(physician, standing)

    # Still the approval in force (only a revocation for cause takes it back), but nobody may
    # publish on its strength any more, and the admin does not offer it.
    assert list(SignOff.objects.in_force()) == [approval]
    assert not SignOff.objects.publishable().exists()
    assert Article.objects.with_status().get(pk=article.pk).status != "approved"
    assert approved_unpublished_revision(article) is None
