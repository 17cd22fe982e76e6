"""search: one full-text index per kind of entry (answers, documents)

An answer search read the documents' entries from the shared index and opened each one's
large vector only to find it was a document; a partial index per kind holds only its own.

Revision ID: ce853ddd6e3c
Revises: 91b5a831e507
Create Date: 2026-11-24 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ce853ddd6e3c'
down_revision = '91b5a831e507'
branch_labels = None
depends_on = None

KINDS = ("answer", "document")


def upgrade():
    with op.batch_alter_table('search_texts', schema=None) as batch_op:
        batch_op.drop_index('ix_search_texts_tsv', postgresql_using='gin')
        for kind in KINDS:
            batch_op.create_index(f'ix_search_texts_{kind}_tsv', ['tsv'], unique=False,
                                  postgresql_using='gin',
                                  postgresql_where=sa.text(f"kind = '{kind}'"),
                                  sqlite_where=sa.text(f"kind = '{kind}'"))


def downgrade():
    with op.batch_alter_table('search_texts', schema=None) as batch_op:
        for kind in KINDS:
            batch_op.drop_index(f'ix_search_texts_{kind}_tsv', postgresql_using='gin')
        batch_op.create_index('ix_search_texts_tsv', ['tsv'], unique=False,
                              postgresql_using='gin')
