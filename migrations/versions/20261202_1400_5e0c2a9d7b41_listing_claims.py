"""A directory listing is its person's once they confirm it; "Secretariat only" widens only on
acceptance

`listing_claims` records who confirmed which listing (State and question key, so it holds in
every version). People who had already taken "their" listings out are taken at their word:
each listing that then gave their address is confirmed for them, so nobody's choice is
undone by the upgrade. Answers whose flag was ticked and then unticked since the last
acceptance are kept from peers until the next one, as the product now does.

This upgrade changes what search indexes (contact e-mail addresses and phone numbers are no
longer indexed): run `flask --app wsgi search reindex` after it.

Revision ID: 5e0c2a9d7b41
Revises: ce853ddd6e3c
Create Date: 2026-12-02 14:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e0c2a9d7b41'
down_revision = 'ce853ddd6e3c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listing_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=12), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['state_id'], ['states.id'],
                            name=op.f('fk_listing_claims_state_id_states')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_listing_claims_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_claims')),
    sa.UniqueConstraint('user_id', 'state_id', 'question_key',
                        name=op.f('uq_listing_claims_user_id'))
    )
    with op.batch_alter_table('listing_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_claims_user_id'), ['user_id'],
                              unique=False)
    _confirm_hidden_listings()
    op.execute(
        "UPDATE answers SET secretariat_only = true WHERE secretariat_only = false AND EXISTS ("
        "SELECT 1 FROM answer_revisions r WHERE r.answer_id = answers.id "
        "AND r.number > COALESCE(answers.accepted_revision, 0) AND r.secretariat_only = true)")


def _confirm_hidden_listings():
    bind = op.get_bind()
    hidden = {email.casefold(): user_id for user_id, email in bind.execute(sa.text(
        "SELECT id, email FROM users WHERE directory_hidden = true"))}
    if not hidden:
        return
    # The revisions anyone reads: the working, submitted and accepted ones.
    rows = bind.execute(sa.text(
        "SELECT DISTINCT resp.state_id, q.key, r.value_json FROM answers a "
        "JOIN questions q ON q.id = a.question_id JOIN responses resp ON resp.id = a.response_id "
        "JOIN answer_revisions r ON r.answer_id = a.id AND r.number IN "
        "(a.revision, COALESCE(a.submitted_revision, 0), COALESCE(a.accepted_revision, 0)) "
        "WHERE q.qtype = 'contact'"))
    claims = set()
    for state_id, key, value_json in rows:
        value = json.loads(value_json or "null")
        email = (value.get("email") or "").casefold() if isinstance(value, dict) else ""
        if email in hidden:
            claims.add((hidden[email], state_id, key))
    for user_id, state_id, key in sorted(claims):
        bind.execute(sa.text(
            "INSERT INTO listing_claims (user_id, state_id, question_key, claimed_at) "
            "VALUES (:u, :s, :k, CURRENT_TIMESTAMP)"), {"u": user_id, "s": state_id, "k": key})


def downgrade():
    # The widened "Secretariat only" flags stay narrowed: safe, and the next acceptance
    # sets them as before.
    with op.batch_alter_table('listing_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_claims_user_id'))
    op.drop_table('listing_claims')
