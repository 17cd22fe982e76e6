"""The home page: what needs the person's attention, then what is new. It gathers every
domain, so it lives in the top layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from coop_platform.auth.models import User
from coop_platform.auth.services.common import remaining_recovery_codes
from coop_platform.core.authz import Role
from coop_platform.documents.models import Document, DocumentStatus
from coop_platform.documents.services import sharing
from coop_platform.documents.services.visibility import visible_documents
from coop_platform.extensions import db
from coop_platform.moderation import notifications, queue
from coop_platform.moderation.models import Notification
from coop_platform.questionnaires.models import Response

bp = Blueprint("home", __name__)


@dataclass
class Attention:
    pending: list[Document] = field(default_factory=list)
    pending_total: int = 0
    sharing_requests: int = 0
    returned: list[Document] = field(default_factory=list)
    drafts: int = 0
    unread: list[Notification] = field(default_factory=list)
    visible: set[int] = field(default_factory=set)  # ids of the documents they may name
    recent: list[Document] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    responses_total: int = 0


def attention_for(user: User) -> Attention:
    found = Attention()
    if user.is_secretariat:
        pending = queue.pending_documents(user, queue.QueueFilter())
        found.pending, found.pending_total = pending[:5], len(pending)
        found.sharing_requests = len(sharing.waiting_requests(user))
        responses = queue.pending_responses(user, queue.QueueFilter())
        found.responses, found.responses_total = responses[:5], len(responses)
    if user.role == Role.FOCAL_POINT:
        mine = visible_documents(user).where(Document.owner_state_id == user.state_id)
        found.returned = list(db.session.scalars(
            mine.where(Document.status == DocumentStatus.RETURNED).order_by(Document.updated_at.desc())))
        found.drafts = db.session.scalar(
            mine.where(Document.status == DocumentStatus.DRAFT).with_only_columns(func.count(Document.id))
        ) or 0
    found.unread = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc()).limit(5)))
    found.visible = notifications.visible_document_ids(user, found.unread)
    found.recent = list(db.session.scalars(
        visible_documents(user).where(Document.status == DocumentStatus.PUBLISHED)
        .order_by(Document.revised_at.desc(), Document.id.desc()).limit(5)))
    return found


@bp.get("/")
def index():
    user = current_user._get_current_object()
    return render_template("home/index.html", attention=attention_for(user),
                           recovery_codes_left=remaining_recovery_codes(user))
