"""
Admin for reviewer profiles (site admins verify credentials) and the read-only records.

Sign-offs, the audit trail and the reminder log can be looked at, never added, changed or
deleted here: they are evidence. Writes go through `reviews.services`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reviews.models import AuditEvent, ReminderLog, ReviewerProfile, SignOff
from reviews.services import reviewer_profile_save, reviewer_verify


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
    readonly_fields = ["verified_by", "verified_at"]
    actions = ["verify_credentials"]
    fieldsets = [
        (None, {"fields": ["user", "printed_name", "credentials", "specialty"]}),
        (
            "Licence",
            {
                "fields": ["licence_number", "licensing_body", "licence_expires_on", "npi"],
                "description": "Changing any of these withdraws the verification until an "
                "administrator verifies the new values.",
            },
        ),
        ("Public profile", {"fields": ["slug", "bio", "photo"]}),
        ("Verification", {"fields": ["verified_by", "verified_at"]}),
    ]

    @admin.display(boolean=True, description="verified")
    def is_verified(self, obj: ReviewerProfile) -> bool:
        return obj.is_verified

    @admin.display(boolean=True, description="can sign now")
    def can_sign_now(self, obj: ReviewerProfile) -> bool:
        return obj.can_sign(timezone.now())

    def has_verify_permission(self, request) -> bool:
        return request.user.is_superuser or request.user.has_perm("reviews.verify_reviewerprofile")

    @admin.action(description="Verify credentials of selected reviewers", permissions=["verify"])
    def verify_credentials(self, request, queryset):
        now = timezone.now()
        verified = 0
        for profile in queryset.select_related("user"):
            try:
                reviewer_verify(profile=profile, admin_user=request.user, now=now)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{profile}: {reason}", messages.ERROR)
            else:
                verified += 1
        if verified:
            self.message_user(request, f"Verified {verified} reviewer(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        reviewer_profile_save(profile=obj, changed_fields=form.changed_data if change else ())


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
