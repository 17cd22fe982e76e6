"""Guidance from the Secretariat and the Court: a document is owned by a State or by an organ
(the ASP Secretariat, the Registry, the Office of the Prosecutor, the Presidency), and a Court
account may belong to an organ of the Court

Existing documents all have an owner State and keep it. Going down is refused while guidance
exists: the older schema cannot hold a document without an owner State.

Revision ID: e5f2b8c4a761
Revises: d91a7c3e5b10
Create Date: 2026-12-08 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f2b8c4a761'
down_revision = 'd91a7c3e5b10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('court_organ', sa.String(length=12), nullable=True))
        batch_op.create_check_constraint("court_organ",
                                         "court_organ IN ('registry','otp','presidency')")
        batch_op.create_check_constraint("organ_role", "court_organ IS NULL OR role = 'court'")

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_organ', sa.String(length=12), nullable=True))
        batch_op.alter_column('owner_state_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            "owner_organ", "owner_organ IN ('secretariat', 'registry', 'otp', 'presidency')")
        batch_op.create_check_constraint(
            "one_owner", "(owner_state_id IS NULL) <> (owner_organ IS NULL)")


def downgrade():
    guidance = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM documents WHERE owner_organ IS NOT NULL")).scalar()
    if guidance:
        raise RuntimeError(
            f"{guidance} guidance document(s) of the Secretariat or the Court have no owner "
            "State, which the older schema requires. Remove them first, knowingly.")
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_documents_one_owner"), type_="check")
        batch_op.drop_constraint(op.f("ck_documents_owner_organ"), type_="check")
        batch_op.alter_column('owner_state_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('owner_organ')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_organ_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_court_organ"), type_="check")
        batch_op.drop_column('court_organ')
