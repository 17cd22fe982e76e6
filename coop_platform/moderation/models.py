from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop_platform.core.clock import utcnow
from coop_platform.crypto.fields import Sealed
from coop_platform.documents.models import Document
from coop_platform.extensions import Model

KINDS = ("submission", "decision", "recovery_code_used", "sharing_request", "sharing_decision",
         "shared", "response_submission", "response_decision", "answer_changed",
         "answers_reminder", "revision_submission", "revision_decision", "document_revised",
         "documents_reminder")


class Notification(Model):
    """An in-app message to one user. The words are rendered when read, in the reader's
    language, from `kind` and `params`."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind IN ('submission','decision','recovery_code_used',"
                        "'sharing_request','sharing_decision','shared','response_submission',"
                        "'response_decision','answer_changed','answers_reminder',"
                        "'revision_submission','revision_decision','document_revised',"
                        "'documents_reminder')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # one of KINDS
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # Sealed (crypto/fields.py): the parameters can carry titles and reasons.
    _params: Mapped[str] = mapped_column("params", Text, default="")
    params = Sealed("_params", "content", empty="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document | None] = relationship()
