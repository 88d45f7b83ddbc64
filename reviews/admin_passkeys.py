"""
"Your passkeys": a reviewing physician adds, lists and removes the passkeys they sign with.

Only for the physician themselves (a staff login with a reviewer profile); nobody can see or
change another physician's passkeys here. The rules (password, lockout, e-mail) are in
`reviews.services.passkeys`; the WebAuthn checks in `reviews.passkeys`.
"""

from __future__ import annotations

import base64
import json
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from reviews.models import Passkey, ReviewerProfile
from reviews.passkeys import registration_options, relying_party
from reviews.services.passkeys import passkey_add, passkey_remove

# Where the page keeps the challenge of the passkey being made (one at a time).
SESSION_KEY = "passkey-registration"


class AddPasskeyForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Name of this passkey",
        help_text="So you can tell your passkeys apart, e.g. “Work laptop” or “Phone”.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="A passkey signs in your name, so adding one needs your password.",
    )
    credential = forms.CharField(required=False, widget=forms.HiddenInput)


def passkeys_view(model_admin, request):
    """The page; POST action=options (JSON), add, or remove."""
    profile = ReviewerProfile.objects.filter(user_id=request.user.pk, revoked_at=None).first()
    if profile is None:
        raise PermissionDenied
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "options":
        challenge = secrets.token_bytes(32)
        request.session[SESSION_KEY] = base64.b64encode(challenge).decode()
        options = registration_options(
            profile=profile, rp=relying_party(request), challenge=challenge
        )
        return JsonResponse(options, headers={"Cache-Control": "no-store"})
    form = AddPasskeyForm(request.POST if action == "add" else None)
    if action == "add" and form.is_valid():
        challenge = base64.b64decode(request.session.pop(SESSION_KEY, "") or "")
        try:
            credential = json.loads(form.cleaned_data["credential"] or "null")
            if not isinstance(credential, dict) or not challenge:
                raise ValidationError("Your device made no passkey; try again.")
            passkey = passkey_add(
                user=request.user,
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                credential=credential,
                challenge=challenge,
                rp=relying_party(request),
            )
        except (ValidationError, ValueError) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request, f"The passkey “{passkey.name}” was added: you can sign with it now."
            )
            return HttpResponseRedirect(reverse("admin:reviews_passkeys"))
    if action == "remove":
        passkey = Passkey.objects.filter(pk=request.POST.get("passkey") or 0).first()
        try:
            if passkey is None:
                raise ValidationError("No such passkey.")
            passkey_remove(user=request.user, passkey=passkey)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The passkey “{passkey.name}” was removed.")
        return HttpResponseRedirect(reverse("admin:reviews_passkeys"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Your passkeys",
        "profile": profile,
        "passkeys": profile.passkeys.order_by("-created_at"),
        "form": form,
    }
    return TemplateResponse(request, "admin/reviews/passkeys.html", context)
