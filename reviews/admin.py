"""
Admin for reviewer profiles (site admins verify credentials) and the read-only records.

Sign-offs, the audit trail and the reminder log can be looked at, never added, changed or
deleted here: they are evidence. Writes go through `reviews.services`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from reviews import admin_passkeys
from reviews.models import AuditEvent, ReminderLog, ReviewerProfile, SignOff
from reviews.services import can_verify, reviewer_profile_save, reviewer_revoke, reviewer_verify


class VerifiedFilter(admin.SimpleListFilter):
    title = "credentials verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", "Verified"), ("no", "Not verified")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.verified()
        if self.value() == "no":
            return queryset.filter(verified_at__isnull=True)
        return queryset


class LicenceFilter(admin.SimpleListFilter):
    title = "licence"
    parameter_name = "licence"

    def lookups(self, request, model_admin):
        return [("expired", "Expired"), ("valid", "Valid")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.licence_expired(today)
        if self.value() == "valid":
            return queryset.filter(licence_expires_on__gte=today)
        return queryset


class VerifyForm(forms.Form):
    """What a site admin records when verifying a physician's licence."""

    evidence = forms.CharField(
        label="How you checked",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The register you consulted and what it showed, e.g. \"Texas Medical Board "
        'public lookup: licence DO-1234 active, no board actions".',
    )
    checked_on = forms.DateField(
        label="Checked on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day you checked the licence with the issuing body.",
    )


class RevokeForm(forms.Form):
    """Revocation for cause: the reason is recorded and shown in the audit trail."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the credentials are revoked (e.g. licence suspended by the board). Every "
        "page this physician approved loses its review stamp and is sent for a new review.",
    )


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "printed_name",
        "credentials",
        "specialty",
        "user",
        "licence_expires_on",
        "is_verified",
        "can_sign_now",
    ]
    list_filter = [VerifiedFilter, LicenceFilter, "credentials"]
    list_select_related = ["user"]
    search_fields = [
        "printed_name",
        "licence_number",
        "npi",
        "specialty",
        "user__username",
        "user__email",
    ]
    prepopulated_fields = {"slug": ["printed_name"]}
    autocomplete_fields = ["user"]
    _verification_fields = [
        "verification_status",
        "verified_by",
        "verified_at",
        "verification_evidence",
        "verification_checked_on",
        "revoked_at",
        "revoked_by",
        "revocation_reason",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": ["user", "honorific", "printed_name", "credentials", "specialty"],
                "description": "The login is fixed once the profile is saved: signatures made "
                "with it are attributed to this physician. Superusers and site administrators "
                "cannot hold a signing profile. The stamp prints the title, name and "
                'credentials as "Dr. Jane Roe, DO"; changing any of them withdraws the '
                "verification, and signatures already made keep the name they were made with.",
            },
        ),
        (
            "Licence",
            {
                "fields": ["licence_number", "licensing_body", "licence_expires_on", "npi"],
                "description": "Changing any of these withdraws the verification until another "
                "administrator verifies the new values. Every change is in the audit trail.",
            },
        ),
        ("Public profile", {"fields": ["slug", "bio", "photo"]}),
        ("Verification", {"fields": _verification_fields}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["user"] if obj is not None else []
        return [*fixed, *self._verification_fields]

    @admin.display(boolean=True, description="verified")
    def is_verified(self, obj: ReviewerProfile) -> bool:
        return obj.is_verified

    @admin.display(boolean=True, description="can sign now")
    def can_sign_now(self, obj: ReviewerProfile) -> bool:
        return obj.can_sign(timezone.now())

    @admin.display(description="status")
    def verification_status(self, obj: ReviewerProfile):
        if obj.pk is None:
            return "Save the profile, then another administrator verifies it."
        links = []
        if not obj.is_revoked:
            links.append(
                format_html(
                    '<a class="button" href="{}">Verify credentials</a>',
                    reverse("admin:reviews_reviewerprofile_verify", args=[obj.pk]),
                )
            )
            links.append(
                format_html(
                    '<a class="button" href="{}">Revoke for cause</a>',
                    reverse("admin:reviews_reviewerprofile_revoke", args=[obj.pk]),
                )
            )
        state = (
            "Revoked for cause"
            if obj.is_revoked
            else "Verified"
            if obj.is_verified
            else "Not verified: this physician cannot sign"
        )
        return format_html("{} {}", state, format_html_join(" ", "{}", ((link,) for link in links)))

    def get_urls(self):
        return [
            path(
                "passkeys/",
                self.admin_site.admin_view(self.passkeys_view),
                name="reviews_passkeys",
            ),
            path(
                "<int:pk>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="reviews_reviewerprofile_verify",
            ),
            path(
                "<int:pk>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="reviews_reviewerprofile_revoke",
            ),
            *super().get_urls(),
        ]

    def passkeys_view(self, request):
        return admin_passkeys.passkeys_view(self, request)

    def _credential_action(self, request, pk, *, form_class, title, intro, act):
        if not can_verify(request.user):
            raise PermissionDenied
        profile = get_object_or_404(ReviewerProfile.objects.select_related("user"), pk=pk)
        form = form_class(request.POST or None)
        error = None
        if request.method == "POST" and form.is_valid():
            try:
                act(profile, form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                error = " ".join(getattr(exc, "messages", [str(exc)]))
            else:
                self.message_user(request, f"{title}: {profile}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:reviews_reviewerprofile_change", args=[profile.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{title}: {profile}",
            "profile": profile,
            "intro": intro,
            "form": form,
            "error": error,
        }
        return TemplateResponse(request, "admin/reviews/credential_action.html", context)

    def verify_view(self, request, pk):
        return self._credential_action(
            request,
            pk,
            form_class=VerifyForm,
            title="Verify credentials",
            intro="Check the licence with the issuing body before you verify. You cannot verify "
            "your own profile.",
            act=lambda profile, data: reviewer_verify(
                profile=profile,
                admin_user=request.user,
                evidence=data["evidence"],
                checked_on=data["checked_on"],
            ),
        )

    def revoke_view(self, request, pk):
        return self._credential_action(
            request,
            pk,
            form_class=RevokeForm,
            title="Revoke credentials",
            intro="Revocation is for cause (a suspended licence, misconduct), not ordinary "
            "expiry. It cannot be undone.",
            act=lambda profile, data: reviewer_revoke(
                profile=profile, admin_user=request.user, reason=data["reason"]
            ),
        )

    def save_model(self, request, obj, form, change):
        try:
            reviewer_profile_save(profile=obj, actor=request.user)
        except ValidationError as error:
            # The login field is read-only on an existing profile, so only a forged POST
            # reaches this refusal.
            raise PermissionDenied(" ".join(error.messages)) from error


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence: viewable by admins with the view permission, never added, changed or deleted."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = [
        "signed_at",
        "printed_name",
        "credentials",
        "decision",
        "revision",
        "short_hash",
    ]
    list_filter = ["decision", ("signed_at", admin.DateFieldListFilter)]
    list_select_related = ["revision"]
    search_fields = ["printed_name", "content_hash", "record_hash", "comment"]
    date_hierarchy = "signed_at"
    fieldsets = [
        (
            "Signature",
            {
                "fields": [
                    "revision",
                    "decision",
                    "meaning",
                    "printed_name",
                    "credentials",
                    "signed_at",
                    "reviewer",
                    "signer",
                ]
            },
        ),
        ("Review", {"fields": ["comment", "conflict_of_interest"]}),
        ("Tamper evidence", {"fields": ["content_hash", "previous_hash", "record_hash"]}),
    ]

    @admin.display(description="content hash")
    def short_hash(self, obj: SignOff) -> str:
        return obj.content_hash[:12]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "article", "revision", "message"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    list_select_related = ["actor", "article", "revision"]
    search_fields = ["message", "actor__username"]
    date_hierarchy = "at"
    fields = ["at", "action", "actor", "article", "revision", "message", "data"]


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "stage", "article", "next_due"]
    list_filter = ["stage", ("sent_at", admin.DateFieldListFilter)]
    list_select_related = ["article"]
    date_hierarchy = "sent_at"
    fields = ["article", "stage", "next_due", "sent_at", "recipients"]


# --- Logins of reviewing physicians ---------------------------------------------------------


class ReviewerLoginAdmin(UserAdmin):
    """
    Django's user admin, with one rule: a login that holds a reviewer profile is the
    physician's signature. Nobody else may set its password or change its username or e-mail
    address (which would let them sign as the physician, or reset the password by mail); the
    physician changes their own password themselves. Deactivating it stays possible.
    """

    def _is_someone_elses_signature(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.pk != request.user.pk
            and ReviewerProfile.objects.filter(user_id=obj.pk).exists()
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._is_someone_elses_signature(request, obj):
            fields += ["username", "email", "password"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        if self._is_someone_elses_signature(request, user):
            raise PermissionDenied(
                "This login signs as a reviewing physician: only its owner may change its "
                "password."
            )
        return super().user_change_password(request, id, form_url)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, ReviewerLoginAdmin)


def password_change_guarded(request, extra_context=None):
    """
    The admin's "change my password" form, for a reviewing physician counted with the signing
    lockout: it checks the current password, so without a limit a stolen session could guess
    the password that signs. A wrong current password is audited as a failed signature attempt
    and, at the limit, locks both for the same time.
    """
    from django.utils import timezone

    from reviews.services import audit_record
    from reviews.services.lockout import (
        signing_failure_after,
        signing_locked_until,
        signing_lockout_refusal_message,
    )

    user = request.user
    is_physician = (
        user.is_authenticated and ReviewerProfile.objects.filter(user_id=user.pk).exists()
    )
    if is_physician and request.method == "POST":
        now = timezone.now()
        if (until := signing_locked_until(user=user, now=now)) is not None:
            messages.error(request, signing_lockout_refusal_message(until))
            return HttpResponseRedirect(reverse("admin:password_change"))
    response = admin.site.password_change(request, extra_context)
    if is_physician and request.method == "POST" and response.status_code == 200:
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and "old_password" in form.errors:
            now = timezone.now()
            audit_record(
                action=AuditEvent.Action.SIGNATURE_FAILED,
                actor=user,
                message="Wrong current password on the password-change form (counted with "
                "the signing lockout).",
                data={"code": "wrong_password", "where": "password_change"},
                now=now,
            )
            signing_failure_after(user=user, now=now)
    return response
