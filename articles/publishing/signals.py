"""
Domain signals of publishing: the seam between what changes a public page and the caches that
must forget it (`articles.public.cache` listens). Sent inside the transaction of the change.
"""

from django.dispatch import Signal

# What the public may see of an article changed. Arguments: article.
publication_changed = Signal()
