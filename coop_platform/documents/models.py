from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop_platform.auth.models import User
from coop_platform.core.clock import utcnow
from coop_platform.crypto.fields import Sealed
from coop_platform.extensions import Model
from coop_platform.states.models import State

DOCUMENT_TYPES = {
    "legislation": _l("Legislation"),
    "procedure": _l("Procedure or guideline"),
    "form": _l("Form or template"),
    "case_example": _l("Case example"),
    "other": _l("Other"),
}
TOPICS = {
    "identification": _l("Identification and tracing"),
    "freezing": _l("Freezing and seizure"),
    "confiscation": _l("Confiscation"),
    "asset_management": _l("Management of seized assets"),
    "asset_return": _l("Return or disposal of assets"),
    "financial_investigation": _l("Financial investigation"),
    "mla_channels": _l("Mutual legal assistance channels"),
    "defence_requests": _l("Defence requests"),
    "voluntary_cooperation": _l("Witness relocation and other voluntary cooperation"),
}
# The document's language, named in the reader's language (the language switcher, not this,
# names languages in themselves).
LANGUAGES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish"), "ar": _l("Arabic"),
             "ru": _l("Russian"), "zh": _l("Chinese"), "other": _l("Other language")}
CLASSIFICATIONS = {
    "public": _l("Public"),
    "restricted": _l("Restricted"),
    "confidential": _l("Confidential"),
}
AUDIENCES = {
    "all_states": _l("All States Parties"),
    "selected_states": _l("Selected States"),
    "secretariat": _l("Secretariat only"),
}
# Who publishes besides States (core/authz.py ORGANS), as readers name them.
ORGANS = {
    "secretariat": _l("ASP Secretariat"),
    "registry": _l("Registry of the Court"),
    "otp": _l("Office of the Prosecutor"),
    "presidency": _l("Presidency of the Court"),
}
PUBLISHERS = {"state": _l("A State"), "secretariat": _l("The Secretariat"),
              "court": _l("The Court")}


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


STATUSES: dict[str, Any] = {
    DocumentStatus.DRAFT: _l("Draft"),
    DocumentStatus.PENDING: _l("Pending moderation"),
    DocumentStatus.PUBLISHED: _l("Published"),
    DocumentStatus.RETURNED: _l("Returned for revision"),
    DocumentStatus.REJECTED: _l("Rejected"),
    DocumentStatus.WITHDRAWN: _l("Withdrawn"),
}


class RevisionStatus(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECALLED = "recalled"


REVISION_STATUSES: dict[str, Any] = {
    RevisionStatus.PENDING: _l("Waiting for moderation"),
    RevisionStatus.RETURNED: _l("Returned for revision"),
    RevisionStatus.ACCEPTED: _l("Accepted"),
    RevisionStatus.REJECTED: _l("Rejected"),
    RevisionStatus.RECALLED: _l("Taken back"),
}
# A revision the owner State is still working on, or the Secretariat deciding on: one at most
# per document.
OPEN_REVISION_STATUSES = (RevisionStatus.PENDING, RevisionStatus.RETURNED)


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class DocumentTopic(Model):
    __tablename__ = "document_topics"
    __table_args__ = (CheckConstraint(_in("topic", TOPICS), name="topic"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)


class DocumentAudienceState(Model):
    __tablename__ = "document_audience_states"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), primary_key=True, index=True)


class Document(Model):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("document_type", DOCUMENT_TYPES), name="type"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint(_in("audience", AUDIENCES), name="audience"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("owner_organ", ORGANS), name="owner_organ"),
        # Owned by a State, or (guidance) by the Secretariat or an organ of the Court.
        CheckConstraint("(owner_state_id IS NULL) <> (owner_organ IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    owner_state_id: Mapped[int | None] = mapped_column(ForeignKey("states.id"), index=True)
    owner_organ: Mapped[str | None] = mapped_column(String(12))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Sealed (crypto/fields.py): the list sorts by title in the service, not in SQL.
    _title: Mapped[str] = mapped_column("title", Text, default="")
    title = Sealed("_title", "content")
    _summary: Mapped[str] = mapped_column("summary", Text, default="")
    summary = Sealed("_summary", "content")
    document_type: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(16), default="restricted")
    originator_control: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(String(16))
    shared_with_court: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    _moderator_comment: Mapped[str] = mapped_column("moderator_comment", Text, default="")
    moderator_comment = Sealed("_moderator_comment", "content")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What readers are told: when an accepted revision last changed what they see (publication
    # counts), and when the owner State last said it is still current (either counts).
    revised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last reminder that the document was not confirmed for eleven months.
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the Secretariat saw at its last decision (JSON), so that a resubmission shows what
    # changed since; see services.documents.snapshot().
    _reviewed_snapshot: Mapped[str | None] = mapped_column("reviewed_snapshot", Text)
    reviewed_snapshot = Sealed("_reviewed_snapshot", "content")

    owner_state: Mapped[State | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship()
    topic_rows: Mapped[list[DocumentTopic]] = relationship(cascade="all, delete-orphan",
                                                           lazy="selectin")
    audience_rows: Mapped[list[DocumentAudienceState]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number.desc()", lazy="selectin")
    sharing_request: Mapped[SharingRequest | None] = relationship(
        back_populates="document", cascade="all, delete-orphan", lazy="selectin")
    revisions: Mapped[list[DocumentRevision]] = relationship(
        back_populates="document", order_by="DocumentRevision.id.desc()", lazy="selectin")

    @property
    def topics(self) -> list[str]:
        return sorted(t.topic for t in self.topic_rows)

    @property
    def owner_name(self) -> str:
        """Who published it, in the reader's language: a State, or an organ."""
        if self.owner_state is not None:
            return self.owner_state.display_name
        return str(ORGANS.get(self.owner_organ or "", self.owner_organ))

    @property
    def is_guidance(self) -> bool:
        return self.owner_organ is not None

    @property
    def owner_active(self) -> bool:
        """A deactivated State's documents reach nobody but the Secretariat; organs stay."""
        return self.owner_state is None or self.owner_state.active

    @property
    def audience_state_ids(self) -> set[int]:
        return {a.state_id for a in self.audience_rows}

    @property
    def current_version(self) -> DocumentVersion | None:
        """The newest version, released or not: what its own State and the Secretariat work
        on. Readers get `published_version`."""
        return self.versions[0] if self.versions else None

    @property
    def published_version(self) -> DocumentVersion | None:
        """What readers download as "current": the newest version the Secretariat released
        (with the publication or an accepted revision). Before publication, when only its
        own State and the Secretariat see the document, its newest."""
        released = next((v for v in self.versions if v.released_at is not None), None)
        if released is not None:
            return released
        proposed = {r.version_id for r in self.revisions}  # never a revision's, unaccepted
        return next((v for v in self.versions if v.id not in proposed), None)

    @property
    def open_revision(self) -> DocumentRevision | None:
        """The revision waiting for the Secretariat, or returned to the owner State."""
        return next((r for r in self.revisions if r.is_open), None)


class SharingRequest(Model):
    """A wider audience the owner State asked for on a published document. The audience the
    Secretariat approved stays in force until it accepts this one; one per document (a newer
    request replaces it)."""

    __tablename__ = "document_sharing_requests"
    __table_args__ = (CheckConstraint(_in("audience", AUDIENCES), name="audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    audience: Mapped[str] = mapped_column(String(16))
    shared_with_court: Mapped[bool] = mapped_column(Boolean, default=False)
    state_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of State ids
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="sharing_request")
    requested_by: Mapped[User] = relationship()


class DocumentVersion(Model):
    """One uploaded file. Its content lives encrypted in the blob store; the row holds the
    wrapped data key and the sealed original filename, content type and size."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number", name="document_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    blob_name: Mapped[str] = mapped_column(String(32), unique=True)
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped_dek: Mapped[str] = mapped_column(Text)
    sealed_meta: Mapped[str] = mapped_column(Text)
    blob_size: Mapped[int] = mapped_column(BigInteger)
    _note: Mapped[str] = mapped_column("note", Text, default="")  # what changed, from the uploader
    note = Sealed("_note", "content")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When the Secretariat let readers have it (publication, or an accepted revision); until
    # then only the owner State and the Secretariat see it.
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship()


class DocumentRevision(Model):
    """A change to a published (or withdrawn) document that the owner State proposed: a new
    version, a new description, or both. Readers keep what was published until the
    Secretariat accepts it; its proposed description is kept here, not on the document."""

    __tablename__ = "document_revisions"
    __table_args__ = (
        CheckConstraint(_in("status", REVISION_STATUSES), name="status"),
        CheckConstraint(_in("document_type", DOCUMENT_TYPES), name="type"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("classification", CLASSIFICATIONS), name="classification"),
        # One open revision per document, even when two focal points send theirs at once:
        # the database refuses the second, on SQLite as on PostgreSQL.
        Index("uq_document_revisions_open", "document_id", unique=True,
              sqlite_where=text("status IN ('pending', 'returned')"),
              postgresql_where=text("status IN ('pending', 'returned')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True,
                                           default=lambda: str(uuid.uuid4()))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    _title: Mapped[str] = mapped_column("title", Text, default="")
    title = Sealed("_title", "content")
    _summary: Mapped[str] = mapped_column("summary", Text, default="")
    summary = Sealed("_summary", "content")
    document_type: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    classification: Mapped[str] = mapped_column(String(16))
    originator_control: Mapped[bool] = mapped_column(Boolean, default=False)
    topics_json: Mapped[str] = mapped_column("topics", Text, default="[]")  # JSON list of keys
    version_id: Mapped[int | None] = mapped_column(ForeignKey("document_versions.id"))
    _note: Mapped[str] = mapped_column("note", Text, default="")  # what changed, from the owner
    note = Sealed("_note", "content")
    _moderator_comment: Mapped[str] = mapped_column("moderator_comment", Text, default="")
    moderator_comment = Sealed("_moderator_comment", "content")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document] = relationship(back_populates="revisions")
    version: Mapped[DocumentVersion | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship()

    @property
    def topics(self) -> list[str]:
        return sorted(json.loads(self.topics_json or "[]"))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVISION_STATUSES
