"""One decision service for what the Secretariat moderates: documents and questionnaire
responses. Both are accepted (a document is published), returned with comments or rejected;
each domain keeps its own lifecycle and the rules of who may decide, and each decision is
audited and notified the same way (through the domains' signals)."""

from __future__ import annotations

from coop_platform.auth.models import User
from coop_platform.core.exceptions import NotFound
from coop_platform.documents.models import Document
from coop_platform.documents.services import documents
from coop_platform.questionnaires.models import Response
from coop_platform.questionnaires.services import review

ACTIONS = ("accept", "return", "reject")
# A document is published when accepted.
_DOCUMENT_ACTION = {"accept": "publish", "return": "return", "reject": "reject"}


def decide(user: User, item: Document | Response, action: str, reason: str = "",
           comments: dict[str, str] | None = None):
    """Take the Secretariat's decision on a submitted item; the domain's refusals (NotFound,
    Forbidden, Conflict, ValidationFailed) pass through unchanged."""
    if action not in ACTIONS:
        raise NotFound("Unknown action.")
    if isinstance(item, Document):
        return documents.transition(user, item, _DOCUMENT_ACTION[action], reason)
    if isinstance(item, Response):
        return review.decide(user, item, action, reason, comments)
    raise NotFound("Nothing to decide on.")
