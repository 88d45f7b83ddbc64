"""
Medical review in the admin: the review queue, the focused review screen, and due reviews.

The review screen shows the reviewer everything they sign: the revision rendered by the public
article template, the diff since the last approved revision, the references with live
retraction status, and the automatic content checks. Signing goes through
`reviews.services.signoff_create`, which decides who may sign (verified profile, separation of
duties, password, attestation): the screen's own gate only decides who sees the form.
"""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.content.admin.diff import diff_visible_text
from articles.content.models import ArticleRevision, RevisionCitation
from articles.content.permissions import can_sign_here, can_view_due_reviews, can_view_reviews
from articles.publishing import selectors
from articles.publishing.admin.highlight import highlight_sentences
from articles.publishing.presentation import article_page_context
from articles.publishing.review_state import review_state_for
from reviews import checks, policy
from reviews.models import Passkey, ReviewerProfile, SignOff
from reviews.passkeys import PasskeySignature, new_nonce, relying_party, signing_options
from reviews.selectors import (
    request_decided,
    requests_for_reviewer,
    review_queue,
    writers_of,
)
from reviews.services import SignOffRefused, passkey_signing_challenge, signoff_create

ATTESTATION = (
    "I have reviewed this revision in full, including its references, and I sign it as its "
    "medical reviewer. If I approve it, it is medically accurate and appropriate for "
    "publication."
)


class SignOffForm(forms.Form):
    """The reviewer's decision on one revision, with the electronic-signature fields."""

    decision = forms.ChoiceField(
        choices=SignOff.Decision.choices,
        widget=forms.RadioSelect,
        label="Decision",
    )
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when you request changes: say what must change.",
    )
    conflict = forms.ChoiceField(
        choices=[("none", "None to declare"), ("declare", "I declare the following")],
        initial="none",
        widget=forms.RadioSelect,
        label="Conflict of interest",
    )
    conflict_of_interest = forms.CharField(
        required=False,
        label="Declaration",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Any financial or personal interest relevant to this page.",
    )
    attested = forms.BooleanField(label=ATTESTATION)
    # The hash of the content this screen displayed (the template writes the hash of what it
    # rendered): the signature is refused if the revision holds anything else when posted.
    content_hash = forms.RegexField(
        regex=r"^[0-9a-f]{64}$",
        widget=forms.HiddenInput,
        error_messages={"required": "The page you signed from was incomplete; reload it."},
    )
    password = forms.CharField(
        label="Your password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign. This is your electronic signature.",
    )
    # Filled by passkeys.js when the physician signs with a passkey instead of the password:
    # the device's signature over this decision (checked by the signing service).
    passkey_assertion = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_passkey_assertion(self) -> dict | None:
        text = self.cleaned_data.get("passkey_assertion") or ""
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise forms.ValidationError("The passkey's answer was garbled; sign again.")
        return value

    def clean(self):
        data = super().clean()
        if not data.get("passkey_assertion") and not data.get("password"):
            self.add_error(
                "password", "Enter your password to sign (or sign with your passkey)."
            )
        if (
            data.get("decision") == SignOff.Decision.CHANGES_REQUESTED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", "Say what must change when you request changes.")
        if (
            data.get("conflict") == "declare"
            and not (data.get("conflict_of_interest") or "").strip()
        ):
            self.add_error("conflict_of_interest", "Write your declaration, or choose none.")
        if data.get("conflict") == "none":
            data["conflict_of_interest"] = ""
        return data


# What the sign button says for each decision; without a decision chosen it names none, so
# that it is right whatever the physician picks when no script runs (review_decision.js
# switches it as the radio changes).
SIGN_LABELS = {
    SignOff.Decision.APPROVED: "Approve and sign",
    SignOff.Decision.CHANGES_REQUESTED: "Request changes",
}
SIGN_LABEL_DEFAULT = "Sign decision"


def sign_button(form: SignOffForm) -> dict:
    """The sign button's label (from the posted decision, if any) and the labels to switch to."""
    chosen = form.data.get("decision") if form.is_bound else None
    return {
        "label": SIGN_LABELS.get(chosen, SIGN_LABEL_DEFAULT),
        "default": SIGN_LABEL_DEFAULT,
        "approved": SIGN_LABELS[SignOff.Decision.APPROVED],
        "changes_requested": SIGN_LABELS[SignOff.Decision.CHANGES_REQUESTED],
    }


# The service's refusals that concern one field of the form, by the refusal's code.
REFUSAL_FIELDS = {"wrong_password": "password", "not_attested": "attested"}

# Where the screen keeps the nonce of the passkey options it gave out, per revision.
PASSKEY_SESSION_KEY = "passkey-signing:{}"

# The form's fields as the error summary names them (the attestation's label is a paragraph).
SUMMARY_NAMES = {
    "decision": "Decision",
    "comment": "Comment",
    "conflict": "Conflict of interest",
    "conflict_of_interest": "Declaration",
    "attested": "Attestation",
    "password": "Your password",
}


def error_summary(form: SignOffForm, refusal: str | None) -> list[dict]:
    """
    Every reason the post signed nothing, in the form's order, for the summary at the top of
    the decision card: {"message", "anchor"}, the anchor being the id of the field to fix
    (the first radio of a group), or "" when no field can fix it.
    """
    items = [{"message": refusal, "anchor": ""}] if refusal else []
    if not form.is_bound:
        return items
    items += [{"message": str(error), "anchor": ""} for error in form.non_field_errors()]
    for name, field in form.fields.items():
        for error in form.errors.get(name, []):
            if name not in SUMMARY_NAMES:  # the hidden content hash: only a reload fixes it
                items.append({"message": str(error), "anchor": ""})
                continue
            bound = form[name]
            radios = isinstance(field.widget, forms.RadioSelect)
            anchor = f"{bound.auto_id}_0" if radios else bound.auto_id
            items.append({"message": f"{SUMMARY_NAMES[name]}: {error}", "anchor": anchor})
    return items


def _context(model_admin, request, title: str, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": title,
        **extra,
    }


def queue_view(model_admin, request):
    """Open review requests, oldest first, with the flags a reviewer should see first."""
    if not can_view_reviews(request.user):
        raise PermissionDenied
    retracted = RevisionCitation.objects.filter(
        revision_id=OuterRef("revision_id"), citation__retracted=True
    )
    profile = ReviewerProfile.objects.verified().filter(user_id=request.user.pk).first()
    mine = profile is not None and request.GET.get("for") == "me"
    requests = (requests_for_reviewer(profile) if mine else review_queue()).annotate(
        cites_retracted=Exists(retracted)
    )
    if mine:  # their own pages are not theirs to review
        requests = [r for r in requests if request.user.pk not in writers_of(r.revision)]
    return TemplateResponse(
        request,
        "admin/articles/review_queue.html",
        _context(
            model_admin,
            request,
            "Awaiting your review" if mine else "Review queue",
            requests=requests,
            profile=profile,
            mine=mine,
            today=timezone.localdate(),
        ),
    )


def _public_rendering(request, revision: ArticleRevision, review) -> SafeString:
    """
    The `<article>` element of the public page for `revision`, by the public page's own
    partial (`articles/_article.html`), so the screen shows exactly what the public will read;
    only the page chrome (header, navigation, related cards) is left out.
    """
    context = article_page_context(article=revision.article, revision=revision)
    context.update(preview=True, review=review)
    html = render_to_string("articles/_article.html", context, request=request)
    return mark_safe(html)  # noqa: S308 - rendered by our own template from sanitised HTML


def _references(
    snapshot, retracted: set[str], notices: dict[str, str], abstracts: dict[str, str]
) -> list[dict]:
    rows = []
    for number, citation in enumerate(snapshot.get("citations", []), start=1):
        pmid = str(citation.get("pmid") or "")
        url = citation.get("pubmed_url") or citation.get("url") or ""
        rows.append(
            {
                "number": number,
                "pmid": pmid,
                "text": citation.get("text", ""),
                "evidence_label": citation.get("evidence_label", ""),
                # A link only to a web address, never javascript:, data: etc. (as the page).
                "url": url if url.startswith(("https://", "http://")) else "",
                # Retraction is read now, from the database: PubMed may have retracted the
                # paper after the revision was made, so the snapshot's flag can be stale.
                "retracted": pmid in retracted,
                "notice": notices.get(pmid, ""),
                "abstract": abstracts.get(pmid, ""),
            }
        )
    return rows


def _last_approved_before(revision: ArticleRevision) -> ArticleRevision | None:
    approved = SignOff.objects.valid_approvals().filter(revision_id=OuterRef("pk"))
    return (
        ArticleRevision.objects.filter(article_id=revision.article_id, number__lt=revision.number)
        .filter(Exists(approved))
        .order_by("-number")
        .first()
    )


def _posted_passkey(request, revision, assertion: dict | None) -> PasskeySignature | None:
    """The passkey signature posted with the form, with the nonce this screen gave out."""
    if assertion is None:
        return None
    issued = request.session.pop(PASSKEY_SESSION_KEY.format(revision.pk), None) or {}
    rp = relying_party(request)
    return PasskeySignature(
        assertion=assertion, nonce=str(issued.get("nonce", "")), rp_id=rp.rp_id, origin=rp.origin
    )


def passkey_options_view(model_admin, request, revision_id):
    """
    POST (decision, content_hash): what the physician's browser asks their passkey to sign,
    a challenge bound to this decision on the content shown (`passkey_signing_challenge`).
    """
    if request.method != "POST":
        return JsonResponse({"error": "POST only."}, status=405)
    if not can_sign_here(request.user):
        raise PermissionDenied
    revision = ArticleRevision.objects.filter(pk=revision_id).first()
    profile = ReviewerProfile.objects.filter(user_id=request.user.pk).first()
    passkeys = list(profile.passkeys.filter(revoked_at=None)) if profile else []
    decision = request.POST.get("decision", "")
    content_hash = request.POST.get("content_hash", "")
    if revision is None:
        return JsonResponse({"error": "No such revision."}, status=404)
    if not passkeys:
        return JsonResponse(
            {"error": "You have no passkey: add one, or use your password."}, status=400
        )
    if decision not in SignOff.Decision.values or not re.fullmatch(r"[0-9a-f]{64}", content_hash):
        return JsonResponse({"error": "Choose a decision, then sign again."}, status=400)
    nonce = new_nonce()
    request.session[PASSKEY_SESSION_KEY.format(revision.pk)] = {"nonce": nonce}
    challenge = passkey_signing_challenge(
        revision=revision, decision=decision, content_hash=content_hash, nonce=nonce
    )
    options = signing_options(challenge=challenge, rp=relying_party(request), passkeys=passkeys)
    response = JsonResponse(options)
    response["Cache-Control"] = "no-store"
    return response


def review_view(model_admin, request, revision_id):
    """The focused review screen of one revision; POST signs it (approve / request changes)."""
    # What @sensitive_post_parameters does; the decorator itself wants the request first.
    request.sensitive_post_parameters = ["password"]
    user = request.user
    if not can_view_reviews(user):
        raise PermissionDenied
    try:
        revision = selectors.revision_get_for_preview(revision_id=int(revision_id))
    except (ArticleRevision.DoesNotExist, ValueError):
        raise Http404("No such revision") from None
    may_sign = can_sign_here(user)
    form = SignOffForm(request.POST if request.method == "POST" else None)
    refusal = None
    decided, decision = request_decided(revision)
    if request.method == "POST":
        if not may_sign:
            raise PermissionDenied
        if decided is not None:
            messages.error(
                request,
                f"Not signed: this review request was already decided "
                f"({decided.get_state_display().lower()}). Nothing was added.",
            )
            return HttpResponseRedirect(request.path)
        if form.is_valid():
            data = form.cleaned_data
            # No transaction is open here (ATOMIC_REQUESTS is off and this view adds none):
            # a refusal's audit record, written by the service after its own rollback, stays.
            try:
                signoff = signoff_create(
                    revision=revision,
                    user=user,
                    password=data["password"],
                    passkey=_posted_passkey(request, revision, data["passkey_assertion"]),
                    decision=data["decision"],
                    comment=data["comment"],
                    conflict_of_interest=data["conflict_of_interest"],
                    attested=data["attested"],
                    expected_hash=data["content_hash"],
                )
            except SignOffRefused as error:
                refusal = error.message
                # A refusal about one field is shown at that field too (and marks it invalid).
                if error.code in REFUSAL_FIELDS:
                    form.add_error(REFUSAL_FIELDS[error.code], refusal)
                    refusal = None
            else:
                messages.success(
                    request,
                    f"Signed: {signoff.get_decision_display().lower()} for revision "
                    f"{revision.number} of '{revision.snapshot.get('title', '')}'.",
                )
                return HttpResponseRedirect(reverse("admin:articles_article_review_queue"))

    snapshot = revision.snapshot
    retracted = selectors.citations_retracted_among(checks.cited_pmids(snapshot))
    review = review_state_for(
        article=revision.article, revision=revision, now=timezone.now(), log_tampering=False
    )
    previous = _last_approved_before(revision)
    findings = checks.check_snapshot(snapshot, retracted_pmids=retracted)
    rendering, marked = highlight_sentences(
        _public_rendering(request, revision, review),
        [(f"finding-{n}", f.sentence) for n, f in enumerate(findings, start=1) if f.sentence],
    )
    context = _context(
        model_admin,
        request,
        f"Medical review: revision {revision.number} of '{snapshot.get('title', '')}'",
        revision=revision,
        article=revision.article,
        rendering=mark_safe(rendering),  # noqa: S308 - our rendering, with <mark> elements added
        previous=previous,
        diff=diff_visible_text(previous.snapshot, snapshot, context=3) if previous else None,
        references=_references(
            snapshot,
            retracted,
            selectors.citation_notices_among(checks.cited_pmids(snapshot)),
            selectors.citation_abstracts_among(checks.cited_pmids(snapshot)),
        ),
        findings=[
            (finding, f"finding-{n}" if f"finding-{n}" in marked else "")
            for n, finding in enumerate(findings, start=1)
        ],
        intact=revision.compute_hash() == revision.content_hash,
        signoffs=list(revision.signoffs.order_by("-pk")),
        open_request=revision.review_requests.filter(state="open").select_related("assignee").first(),
        decided=decided,
        decision=decision,
        form=form if may_sign and decided is None else None,
        has_passkey=Passkey.objects.filter(profile__user_id=user.pk, revoked_at=None).exists(),
        passkey_options_url=reverse(
            "admin:articles_article_review_passkey_options", args=[revision.pk]
        ),
        may_sign=may_sign,
        sign_button=sign_button(form),
        error_summary=error_summary(form, refusal) if request.method == "POST" else [],
        preview_url=reverse("articles:preview", args=[revision.pk]),
    )
    return TemplateResponse(request, "admin/articles/review_screen.html", context)


def due_view(model_admin, request):
    """The next 90 days of due reviews and every overdue one."""
    if not can_view_due_reviews(request.user):
        raise PermissionDenied
    rows = selectors.reviews_due(now=timezone.now())
    return TemplateResponse(
        request,
        "admin/articles/due_reviews.html",
        _context(
            model_admin,
            request,
            "Due reviews",
            overdue=[r for r in rows if r["status"] == policy.ReviewStatus.OVERDUE],
            upcoming=[r for r in rows if r["status"] != policy.ReviewStatus.OVERDUE],
            horizon_days=selectors.DUE_HORIZON_DAYS,
        ),
    )
