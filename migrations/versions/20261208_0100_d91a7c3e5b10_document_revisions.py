"""Revisions of published documents under moderation, released versions, documents confirmed
current, and four notification kinds

Existing published or withdrawn documents: their newest version is the one readers had, so it
is released at the publication; "updated" and "confirmed" start at the publication. Earlier
versions of those documents were uploaded before publication (a published document took none
until now): they stay with the owner State and the Secretariat, as drafts' versions now do.
The notification kinds widen the CHECK by hand.

Revision ID: d91a7c3e5b10
Revises: c4d8e2f61a09
Create Date: 2026-12-08 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd91a7c3e5b10'
down_revision = 'c4d8e2f61a09'
branch_labels = None
depends_on = None

OLD_KINDS = ("kind IN ('submission','decision','recovery_code_used',"
             "'sharing_request','sharing_decision','shared','response_submission',"
             "'response_decision','answer_changed','answers_reminder')")
NEW_KINDS = ("kind IN ('submission','decision','recovery_code_used',"
             "'sharing_request','sharing_decision','shared','response_submission',"
             "'response_decision','answer_changed','answers_reminder',"
             "'revision_submission','revision_decision','document_revised',"
             "'documents_reminder')")
OPEN = sa.text("status IN ('pending', 'returned')")


def upgrade():
    op.create_table('document_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=36), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('document_type', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('originator_control', sa.Boolean(), nullable=False),
    sa.Column('topics', sa.Text(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('moderator_comment', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'returned', 'accepted', 'rejected', 'recalled')",
                       name=op.f('ck_document_revisions_status')),
    sa.CheckConstraint("document_type IN ('legislation', 'procedure', 'form', 'case_example', "
                       "'other')", name=op.f('ck_document_revisions_type')),
    sa.CheckConstraint("language IN ('en', 'fr', 'es', 'ar', 'ru', 'zh', 'other')",
                       name=op.f('ck_document_revisions_language')),
    sa.CheckConstraint("classification IN ('public', 'restricted', 'confidential')",
                       name=op.f('ck_document_revisions_classification')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_document_revisions_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'],
                            name=op.f('fk_document_revisions_document_id_documents')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'],
                            name=op.f('fk_document_revisions_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_revisions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_document_revisions_public_id'))
    )
    with op.batch_alter_table('document_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_revisions_document_id'), ['document_id'],
                              unique=False)
        batch_op.create_index('uq_document_revisions_open', ['document_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_revised_at'), ['revised_at'], unique=False)

    op.execute("UPDATE documents SET revised_at = COALESCE(published_at, updated_at), "
               "confirmed_at = COALESCE(published_at, updated_at) "
               "WHERE status IN ('published', 'withdrawn')")
    op.execute("UPDATE document_versions SET released_at = (SELECT COALESCE(d.published_at, "
               "d.updated_at) FROM documents d WHERE d.id = document_versions.document_id) "
               "WHERE document_id IN (SELECT id FROM documents "
               "WHERE status IN ('published', 'withdrawn')) "
               "AND number = (SELECT MAX(v.number) FROM document_versions v "
               "WHERE v.document_id = document_versions.document_id)")

    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", NEW_KINDS)

    # The words of open revisions, for their own State and the Secretariat: a third kind of
    # search row, with its own partial index.
    with op.batch_alter_table("search_texts") as batch_op:
        batch_op.drop_constraint(op.f("ck_search_texts_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('answer', 'document', 'revision')")
        batch_op.create_index('ix_search_texts_revision_tsv', ['tsv'], unique=False,
                              postgresql_using='gin',
                              postgresql_where=sa.text("kind = 'revision'"),
                              sqlite_where=sa.text("kind = 'revision'"))


def downgrade():
    # The schema below shows every version of a published document to its readers: a version
    # proposed by a revision the Secretariat has not accepted would reach them. Refused until
    # those revisions are decided (or their versions removed by the operator, knowingly).
    unaccepted = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM document_revisions WHERE version_id IS NOT NULL "
        "AND status != 'accepted'")).scalar()
    if unaccepted:
        raise RuntimeError(
            f"{unaccepted} document revision(s) hold a version the Secretariat did not accept; "
            "going down would show those versions to the documents' readers. Decide or take "
            "back those revisions first.")
    op.execute("DELETE FROM search_texts WHERE kind = 'revision'")
    with op.batch_alter_table("search_texts") as batch_op:
        batch_op.drop_index('ix_search_texts_revision_tsv', postgresql_using='gin')
        batch_op.drop_constraint(op.f("ck_search_texts_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('answer', 'document')")
    op.execute("DELETE FROM notifications WHERE kind IN ('revision_submission', "
               "'revision_decision', 'document_revised', 'documents_reminder')")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint("kind", OLD_KINDS)

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_revised_at'))
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('revised_at')

    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_column('released_at')

    with op.batch_alter_table('document_revisions', schema=None) as batch_op:
        batch_op.drop_index('uq_document_revisions_open', sqlite_where=OPEN,
                            postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_document_revisions_document_id'))

    op.drop_table('document_revisions')
