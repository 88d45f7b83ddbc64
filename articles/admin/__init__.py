"""The editorial admin: articles with CKEditor, their revisions, topics and contributors."""

from articles.admin import articles, revisions, site  # noqa: F401  (registers the model admins)
