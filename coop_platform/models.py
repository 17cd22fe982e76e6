"""Every model, imported in one place so that the metadata (and Alembic) sees all tables."""

from coop_platform.audit.models import AuditEvent, AuditHead
from coop_platform.auth.models import Invitation, RecoveryCode, User
from coop_platform.documents.models import (
    Document,
    DocumentAudienceState,
    DocumentTopic,
    DocumentVersion,
)
from coop_platform.mail.models import OutboxMail
from coop_platform.moderation.models import Notification
from coop_platform.questionnaires.models import (
    Answer,
    AnswerRevision,
    Follow,
    Question,
    Questionnaire,
    Response,
    Section,
)
from coop_platform.search.models import DocumentText, SearchChange, SearchText, SearchWord
from coop_platform.states.models import State

__all__ = [
    "Answer",
    "AnswerRevision",
    "AuditEvent",
    "AuditHead",
    "Document",
    "DocumentAudienceState",
    "DocumentText",
    "DocumentTopic",
    "DocumentVersion",
    "Follow",
    "Invitation",
    "Notification",
    "OutboxMail",
    "Question",
    "Questionnaire",
    "RecoveryCode",
    "Response",
    "SearchChange",
    "SearchText",
    "SearchWord",
    "Section",
    "State",
    "User",
]
