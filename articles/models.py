"""
The app's models, gathered for Django (and for tests) from the three parts of the app: the
draft and its immutable revisions (`content`), schedules and the publication record
(`publishing`), and the public site's own pages and reader reports (`public`). Code inside the
app imports from those parts, so that imports flow public → publishing → content.
"""

from articles.content.models import *  # noqa: F403  (each part lists its models in __all__)
from articles.content.models import __all__ as _content
from articles.public.models import CorrectionNote, ProblemReport, SitePage
from articles.publishing.models import Publication, PublicationTopic, ScheduledPublication

__all__ = [
    *_content,
    "CorrectionNote",
    "ProblemReport",
    "Publication",
    "PublicationTopic",
    "ScheduledPublication",
    "SitePage",
]
