"""A mail backend for tests whose server fails: the next `FAILURES` sends raise SMTPException."""

from __future__ import annotations

from smtplib import SMTPException

from django.core.mail.backends.locmem import EmailBackend

FAILING = {"default": {"BACKEND": "tests.mail.FlakyBackend"}}


class FlakyBackend(EmailBackend):
    """The locmem backend (mail.outbox) behind a server that fails `failures` more times."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SMTPException("421 the mail server is not available")
        return super().send_messages(messages)
