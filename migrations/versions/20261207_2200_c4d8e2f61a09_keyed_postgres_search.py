"""PostgreSQL's search index holds keyed tokens; its vocabulary is sealed

The vectors in `search_texts` held the words of answers and documents (PostgreSQL's own
lexemes); from this revision they hold keyed tokens built by the application, and the
vocabulary (`search_words`) keeps each word sealed under the "index" key beside its token.
Neither can be converted in SQL (the keys are the application's): the old vectors and words
are deleted here, and `flask --app wsgi search reindex` builds the index again (the upgrade
notes say so). Until it has run, PostgreSQL searches find nothing; nothing is lost, since
the index is rebuilt from the database. The embedded (Whoosh) index does not use these
tables.

Revision ID: c4d8e2f61a09
Revises: b7e3c91a4d20
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c4d8e2f61a09'
down_revision = 'b7e3c91a4d20'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM search_texts")
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.drop_index('ix_search_words_trgm', postgresql_using='gin',
                            postgresql_ops={'word': 'gin_trgm_ops'})
    op.drop_table('search_words')
    op.create_table(
        'search_words',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('sealed_word', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_words')),
        sa.UniqueConstraint('token', name=op.f('uq_search_words_token')),
    )


def downgrade():
    # The keyed vectors mean nothing to the earlier code: run `search reindex` after it.
    op.execute("DELETE FROM search_texts")
    op.drop_table('search_words')
    op.create_table(
        'search_words',
        sa.Column('word', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    )
    with op.batch_alter_table('search_words', schema=None) as batch_op:
        batch_op.create_index('ix_search_words_trgm', ['word'], unique=False,
                              postgresql_using='gin', postgresql_ops={'word': 'gin_trgm_ops'})
