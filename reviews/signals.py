"""
Domain signals of the reviews app: seams for the apps that build on it.

`reviews` never imports `articles`; when a review decision or a revocation must change what
the public sees (pages, schedules), the articles app listens here. Receivers run inside the
transaction of the change that sends the signal, so both commit or neither does.
"""

from django.dispatch import Signal

# A sign-off was recorded. Arguments: signoff (SignOff), now (datetime).
decision_recorded = Signal()

# A reviewer's credentials were revoked for cause. Arguments: profile, actor, now.
reviewer_revoked = Signal()
