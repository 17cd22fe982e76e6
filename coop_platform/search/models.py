"""What search keeps in the database.

- `SearchChange`: the outbox of the embedded (Whoosh) index. A row names an object whose
  searchable state may have changed; it is written in the same transaction as the change and
  drained after commit by whichever process gets the index's writer lock, which re-reads the
  object's current state (so two changes drained in either order end the same).
- `DocumentText`: the text extracted from a document version's file, sealed under the
  "search" key (the file itself is encrypted at rest; its text must not sit in clear in the
  database either). Confidential documents never get one.
- `SearchText` and `SearchWord`: the PostgreSQL backend's index — a tsvector of keyed
  tokens per answer revision and per document, and the vocabulary (for "did you mean"),
  sealed. Unused on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
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
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from coop_platform.core.clock import utcnow
from coop_platform.extensions import Model

SUBJECT_KINDS = ("answer", "response", "questionnaire", "question", "document", "state")
class TextStatus(StrEnum):
    """Where a version's file text stands for search."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


TEXT_STATUSES = tuple(status.value for status in TextStatus)


class SearchChange(Model):
    __tablename__ = "search_changes"
    __table_args__ = (
        CheckConstraint(f"kind IN {SUBJECT_KINDS}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Kept a while after it was applied, so that a rebuild can replay what it did not see.
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class DocumentText(Model):
    __tablename__ = "document_texts"
    __table_args__ = (
        CheckConstraint(f"status IN {TEXT_STATUSES}", name="status"),
    )

    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"),
                                            primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    # AES-GCM under the "search" key, bound to the version's public id. Up to millions of
    # characters: read only where the text is wanted (undefer), not with every status check.
    sealed_text: Mapped[str | None] = mapped_column(Text, deferred=True)
    chars: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchText(Model):
    __tablename__ = "search_texts"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="kind_ref"),
        # A revision's row: the words of a document's open revision, found by its own State
        # and the Secretariat only (the document's row keeps what was published).
        CheckConstraint("kind IN ('answer', 'document', 'revision')", name="kind"),
        # One index per kind: an answer search that read the documents' entries from a
        # shared index opened each of their large vectors to find they were documents.
        *[Index(f"ix_search_texts_{kind}_tsv", "tsv", postgresql_using="gin",
                postgresql_where=text(f"kind = '{kind}'"), sqlite_where=text(f"kind = '{kind}'"))
          for kind in ("answer", "document", "revision")],
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    # The answer revision's id, the document's, or the document revision's.
    ref_id: Mapped[int] = mapped_column(Integer)
    tsv: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SearchWord(Model):
    """One word of the vocabulary, sealed under the "index" key and bound to its token (the
    word's keyed token, which keeps each word once without showing it)."""

    __tablename__ = "search_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    sealed_word: Mapped[str] = mapped_column(Text)
