"""
The editorial admin, registered from the three parts of the app: drafts and revisions
(`content`), articles with their review and publishing panel (`publishing`), and the public
site's pages and corrections (`public`).
"""

from articles.content.admin import revisions  # noqa: F401  (registers the model admins)
from articles.public import admin as public_admin  # noqa: F401
from articles.publishing.admin import articles  # noqa: F401
