"""
Signals the references app sends; other apps connect to them, references imports none of them.

`citation_notices_changed(sender=Citation, citations=[...])`: the post-publication notice of
these citations (retraction, partial retraction, retracted and republished, expression of
concern) was recorded or changed. Sent inside the transaction that stores the change, so a
receiver that flags the pages citing them commits with it or not at all: no alert is lost
between the two writes.
"""

from django.dispatch import Signal

citation_notices_changed = Signal()
