"""The domain, one module per area; import models from here."""

from .classes import Enrolment, SchoolClass
from .library import Annotation, Lesson, Passage, Topic
from .marking import CommentBankEntry
from .school import SchoolSettings
from .tasks import Exemplar, IndicativePoint, KeyEvidence, Level, Question, Task
from .users import User
from .work import Answer, AnswerRevision, EvidenceLink, Submission

__all__ = [
    "Annotation",
    "Answer",
    "AnswerRevision",
    "CommentBankEntry",
    "Enrolment",
    "EvidenceLink",
    "Exemplar",
    "IndicativePoint",
    "KeyEvidence",
    "Lesson",
    "Level",
    "Passage",
    "Question",
    "SchoolClass",
    "SchoolSettings",
    "Submission",
    "Task",
    "Topic",
    "User",
]
