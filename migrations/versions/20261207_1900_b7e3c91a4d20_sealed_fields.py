"""What people wrote is sealed at rest: answers, remarks and comments; documents' titles,
summaries, notes and moderation texts; notification parameters; people's names and e-mail
addresses, found by a blind index; the outbox's recipients and subjects; the audit trail's
details and actors

Every such value is re-written as AES-256-GCM ciphertext under its purpose's key (answers,
content, people, mail, auditlog), bound to its table, column and row (its id; an audit
record's sequence number); an answer not given ("null"), empty parameters ("{}") and an
empty text stay empty. `users.email_lookup` holds HMAC-SHA256 under the lookup key of each
normalised address, unique: sign-in and invitations find people by it;
`audit_events.actor_lookup` the same for the actor, for the audit page's filter. Unsent
e-mail bodies, already sealed under the mail key with "mail:<id>" as context, are sealed
again with the table, column and row as every sealed field is. The keys must exist
first: `flask --app wsgi keys init` (make run and make setup do it before `db upgrade`).
Downgrading opens every value back into clear.

The sealing format is written out here, not imported, so that this revision keeps doing what
it did when the application changes: "<key id>:" + urlsafe base64 of nonce + ciphertext, the
associated data b"spc|<purpose>|<key id>|<table>|<column>|<row id>" (crypto/keyring.py and
crypto/fields.py at this revision).

Revision ID: b7e3c91a4d20
Revises: 5e0c2a9d7b41
Create Date: 2026-12-07 19:00:00.000000

"""
import base64
import hashlib
import hmac
import os

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'b7e3c91a4d20'
down_revision = '5e0c2a9d7b41'
branch_labels = None
depends_on = None

# (table, column, purpose, the clear value stored empty, the row's key)
SEALED = [
    ("answer_revisions", "value_json", "answers", "null", "id"),
    ("answer_revisions", "remarks", "answers", "", "id"),
    ("answers", "review_comment", "answers", "", "id"),
    ("responses", "review_comment", "answers", "", "id"),
    ("documents", "title", "content", "", "id"),
    ("documents", "summary", "content", "", "id"),
    ("documents", "moderator_comment", "content", "", "id"),
    ("documents", "reviewed_snapshot", "content", "", "id"),
    ("document_versions", "note", "content", "", "id"),
    ("notifications", "params", "content", "{}", "id"),
    ("users", "email", "people", "", "id"),
    ("users", "display_name", "people", "", "id"),
    ("mail_outbox", "recipient", "mail", "", "id"),
    ("mail_outbox", "subject", "mail", "", "id"),
    ("audit_events", "details", "auditlog", "{}", "seq"),
    ("audit_events", "actor_label", "auditlog", "", "seq"),
]
BATCH = 500


def _keyring():
    keys = current_app.extensions["spc_keyring"]
    missing = [p for p in ("answers", "content", "people", "lookup", "mail", "auditlog")
               if not any(k.purpose == p for k in keys.status())]
    if missing:
        raise RuntimeError(f"no {', '.join(missing)} key in {keys.directory}: run "
                           "`flask --app wsgi keys init` before this upgrade")
    return keys


def _aad(purpose, key_id, table, column, row_id):
    return f"spc|{purpose}|{key_id}|{table}|{column}|{row_id}".encode()


def _seal(keys, purpose, table, column, row_id, plaintext):
    key_id = keys.active_id(purpose)
    nonce = os.urandom(12)
    sealed = AESGCM(keys.raw(key_id)).encrypt(nonce, plaintext.encode("utf-8"),
                                               _aad(purpose, key_id, table, column, row_id))
    return f"{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def _open(keys, purpose, table, column, row_id, token):
    key_id, _, body = token.partition(":")
    blob = base64.urlsafe_b64decode(body.encode())
    return AESGCM(keys.raw(key_id)).decrypt(
        blob[:12], blob[12:], _aad(purpose, key_id, table, column, row_id)).decode("utf-8")


def _rebind_bodies(keys, old_context, new_context):
    """Unsent e-mail bodies were sealed under the mail key with b"mail:<id>" as context; as a
    sealed field their context names the table, column and row like every other's."""
    bind = op.get_bind()
    mails = sa.table("mail_outbox", sa.column("id", sa.Integer), sa.column("body", sa.Text))
    for row_id, body in bind.execute(sa.select(mails.c.id, mails.c.body)
                                     .where(mails.c.body != "")).all():
        key_id, _, encoded = body.partition(":")
        blob = base64.urlsafe_b64decode(encoded.encode())
        clear = AESGCM(keys.raw(key_id)).decrypt(
            blob[:12], blob[12:], f"spc|mail|{key_id}|".encode() + old_context(row_id))
        active = keys.active_id("mail")
        nonce = os.urandom(12)
        sealed = AESGCM(keys.raw(active)).encrypt(
            nonce, clear, f"spc|mail|{active}|".encode() + new_context(row_id))
        bind.execute(mails.update().where(mails.c.id == row_id).values(
            body=f"{active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"))


def _by_id(row_id):
    return f"mail:{row_id}".encode()


def _as_field(row_id):
    return f"mail_outbox|body|{row_id}".encode()


def _lookup(keys, address):
    if not address:
        return None
    key_id = keys.active_id("lookup")
    digest = hmac.new(keys.raw(key_id), address.strip().lower().encode("utf-8"),
                      hashlib.sha256).hexdigest()
    return f"{key_id}:{digest}"


def _rewrite(change):
    """Every non-empty value of every sealed column through `change`, in batches."""
    bind = op.get_bind()
    for table, column, purpose, empty, key in SEALED:
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column(key, sa.BigInteger),
                        sa.column(column, sa.Text)) if key != "id" else \
            sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
        last = 0
        while True:
            batch = bind.execute(sa.select(rows.c.id, rows.c[key], rows.c[column])
                                 .where(rows.c.id > last).order_by(rows.c.id)
                                 .limit(BATCH)).all()
            if not batch:
                break
            for row_id, row_key, value in batch:
                new = change(purpose, table, column, row_key, value, empty)
                if new != value:
                    bind.execute(rows.update().where(rows.c.id == row_id)
                                 .values({column: new}))
            last = batch[-1][0]


def upgrade():
    keys = _keyring()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_lookup', sa.String(length=80), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.Text),
                     sa.column("email_lookup", sa.String))
    bind = op.get_bind()
    for row_id, email in bind.execute(sa.select(users.c.id, users.c.email)).all():
        bind.execute(users.update().where(users.c.id == row_id)
                     .values(email_lookup=_lookup(keys, email)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email_lookup', existing_type=sa.String(length=80),
                              nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_users_email'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_users_email_lookup'), ['email_lookup'])
        batch_op.alter_column('email', existing_type=sa.String(length=254), type_=sa.Text(),
                              existing_nullable=False)
        batch_op.alter_column('display_name', existing_type=sa.String(length=120),
                              type_=sa.Text(), existing_nullable=False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False)
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.String(length=320),
                              type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column('subject', existing_type=sa.String(length=400), type_=sa.Text(),
                              existing_nullable=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_lookup', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_actor_lookup'), ['actor_lookup'],
                              unique=False)
        batch_op.alter_column('actor_label', existing_type=sa.String(length=254),
                              type_=sa.Text(), existing_nullable=False)
    events = sa.table("audit_events", sa.column("id", sa.Integer),
                      sa.column("actor_label", sa.Text), sa.column("actor_lookup", sa.String))
    for row_id, label in bind.execute(sa.select(events.c.id, events.c.actor_label)
                                      .where(events.c.actor_label != "")).all():
        bind.execute(events.update().where(events.c.id == row_id)
                     .values(actor_lookup=_lookup(keys, label)))

    _rebind_bodies(keys, _by_id, _as_field)

    def seal(purpose, table, column, row_id, value, empty):
        if value is None or value == "" or value == empty:
            return "" if value is not None else None
        return _seal(keys, purpose, table, column, row_id, value)

    _rewrite(seal)


def downgrade():
    keys = _keyring()

    def open_(purpose, table, column, row_id, value, empty):
        if value is None:
            return None
        return _open(keys, purpose, table, column, row_id, value) if value else empty

    _rewrite(open_)
    _rebind_bodies(keys, _as_field, _by_id)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('actor_label', existing_type=sa.Text(),
                              type_=sa.String(length=254), existing_nullable=False)
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_lookup'))
        batch_op.drop_column('actor_lookup')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.Text(), type_=sa.String(length=400),
                              existing_nullable=False)
        batch_op.alter_column('recipient', existing_type=sa.Text(),
                              type_=sa.String(length=320), existing_nullable=False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('title', existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('display_name', existing_type=sa.Text(),
                              type_=sa.String(length=120), existing_nullable=False)
        batch_op.alter_column('email', existing_type=sa.Text(), type_=sa.String(length=254),
                              existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_users_email_lookup'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_users_email'), ['email'])
        batch_op.drop_column('email_lookup')
