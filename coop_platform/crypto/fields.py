"""Sealed fields: what a person wrote is stored as AES-256-GCM ciphertext, in clear only in
the memory of the process that reads it for someone who may.

A sealed attribute stands in front of a column that holds the ciphertext:

    _title: Mapped[str] = mapped_column("title", Text, default="")
    title = Sealed("_title", "content")

The model reads and writes `title` in clear; the database sees `key id:nonce+ciphertext`
made by the key manager (`KeyRing.encrypt`) under the purpose's active key. The associated
data binds each value to its table, column and row id, so a value copied onto another row,
or into another column, does not open (`SealBroken`). An empty value is stored empty: its
length would say as much.

A new row has no id before its INSERT: its sealed values go in empty and are sealed by one
UPDATE in the same flush, once the id is known (the mail outbox did so before by hand). A
plain `select()` of a sealed column returns the ciphertext; `Model.attribute.open(token, row
id)` opens it. Anything that compares or sorts a sealed column in SQL compares ciphertext: such
filters and sorts happen in the services, after opening the reader's rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, overload

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, attributes

from coop_platform.core.rows import changed_rows
from coop_platform.crypto.keyring import DecryptionError
from coop_platform.extensions import db, keyring

# model class -> {sealed attribute name: Sealed}
_REGISTRY: dict[type, dict[str, Sealed]] = {}
_PENDING = "_spc_pending_seals"


class SealBroken(RuntimeError):
    """A sealed value does not open where it is stored: copied from another row or column,
    altered, or sealed under a key this instance lacks."""


def _context(table: str, column: str, row_id: object) -> bytes:
    return f"{table}|{column}|{row_id}".encode()


class Sealed:
    """The clear face of a sealed column (see the module's docstring)."""

    def __init__(self, column_attr: str, purpose: str, empty: str = "",
                 row_key: str = "id") -> None:
        self.column_attr = column_attr
        self.purpose = purpose
        # What identifies the row in the associated data: its id, or a unique attribute set
        # before the INSERT (an audit record's sequence number), which spares the UPDATE.
        self.row_key = row_key
        # The clear value stored as an empty column (JSON's "null" for an answer not given):
        # that a value is absent is structure, and SQL may still ask it.
        self.empty = empty
        self.name = self.table = self._kept = ""
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner
        self.table = str(owner.__dict__["__tablename__"])
        self._kept = f"_spc_open_{name}"  # where an opened value is kept, with its token
        _REGISTRY.setdefault(owner, {})[name] = self

    @functools.cached_property
    def column(self) -> str:
        """The database column's name (known once the model is mapped)."""
        return str(getattr(self.owner, self.column_attr).property.columns[0].name)

    def seal(self, plaintext: str, row_id: object) -> str:
        if not plaintext or plaintext == self.empty:
            return ""
        return keyring().encrypt(self.purpose, plaintext.encode("utf-8"),
                                 _context(self.table, self.column, row_id))

    def open(self, token: str | None, row_id: object) -> str:
        if not token:
            return self.empty
        try:
            return keyring().decrypt(self.purpose, token,
                                     _context(self.table, self.column, row_id)).decode("utf-8")
        except DecryptionError as error:
            raise SealBroken(f"{self.table}.{self.column} of row {row_id} does not open: "
                             f"{error}") from None

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Sealed: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> str: ...

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        # The hot path: a list reads thousands of these per page.
        token = getattr(obj, self.column_attr)
        kept = obj.__dict__.get(self._kept)
        if kept is not None and kept[0] == token:
            return kept[1]
        pending = obj.__dict__.get(_PENDING)
        if pending and self.name in pending:
            return pending[self.name]
        plaintext = self.open(token, getattr(obj, self.row_key))
        obj.__dict__[self._kept] = (token, plaintext)
        return plaintext

    def __set__(self, obj: Any, value: str | None) -> None:
        value = value or self.empty
        if self.row_key != "id":
            row_id = obj.__dict__.get(self.row_key)
        else:
            key = attributes.instance_state(obj).key  # the row's identity, even while expired
            row_id = key[1][0] if key is not None else obj.__dict__.get("id")
        if row_id is None:
            # Sealed once the INSERT has given the row its id (see `_seal_new_rows`).
            obj.__dict__.setdefault(_PENDING, {})[self.name] = value
            setattr(obj, self.column_attr, "")
            return
        token = self.seal(value, row_id)
        setattr(obj, self.column_attr, token)
        obj.__dict__[self._kept] = (token, value)


def _normal_address(value: str) -> str:
    return value.strip().lower()


class SealedLookup(Sealed):
    """A sealed value the platform must still find by equality (a person by e-mail address):
    beside it, in `lookup_attr`, a blind index — HMAC-SHA256 under the "lookup" key of the
    normalised value, prefixed with that key's id — on which lookups and uniqueness run."""

    def __init__(self, column_attr: str, purpose: str, lookup_attr: str,
                 row_key: str = "id") -> None:
        super().__init__(column_attr, purpose, row_key=row_key)
        self.lookup_attr = lookup_attr

    def __set__(self, obj: Any, value: str | None) -> None:
        super().__set__(obj, value)
        setattr(obj, self.lookup_attr, lookup_token(value) if value else None)


def lookup_token(value: str, key_id: str | None = None) -> str:
    """The blind index of an e-mail address under the active lookup key (or `key_id`)."""
    key_id, digest = keyring().mac("lookup", _normal_address(value).encode("utf-8"), key_id)
    return f"{key_id}:{digest}"


def lookup_tokens(value: str) -> list[str]:
    """The blind index of an address under every lookup key there is: a lookup finds rows
    written before a rotation and rows re-indexed after it."""
    return [lookup_token(value, key_id) for key_id in keyring().key_ids("lookup")]


def sealed_models() -> dict[type, dict[str, Sealed]]:
    """Every model with sealed attributes, and those attributes by name."""
    return {model: dict(fields) for model, fields in _REGISTRY.items()}


@event.listens_for(Session, "after_flush")
def _seal_new_rows(session: Session, _context: Any) -> None:
    """Rows inserted by this flush with values waiting for their id: seal them and write the
    ciphertext in the same transaction, before anyone can read the row."""
    for obj in list(session.new):
        pending = obj.__dict__.get(_PENDING)
        if not pending or obj.__dict__.get("id") is None:
            continue
        fields = _REGISTRY[type(obj)]
        tokens = {}
        for name, plaintext in pending.items():
            field = fields[name]
            tokens[field] = field.seal(plaintext, getattr(obj, field.row_key))
            obj.__dict__[field._kept] = (tokens[field], plaintext)
        table = type(obj).__table__
        session.connection().execute(
            table.update().where(table.c.id == obj.id)
            .values({field.column: token for field, token in tokens.items()}))
        for field, token in tokens.items():
            attributes.set_committed_value(obj, field.column_attr, token)
        del obj.__dict__[_PENDING]


def sealed_purposes() -> set[str]:
    """The key purposes that seal fields (and "lookup", whose blind indexes they carry)."""
    purposes = {field.purpose for fields in _REGISTRY.values() for field in fields.values()}
    if any(isinstance(f, SealedLookup) for fields in _REGISTRY.values() for f in fields.values()):
        purposes.add("lookup")
    return purposes


def _columns_of(purpose: str) -> Iterator[tuple[type, Sealed, Any]]:
    """(model, field, the stored column that `purpose` keys) for every field it concerns."""
    for model, fields in _REGISTRY.items():
        for field in fields.values():
            if field.purpose == purpose:
                yield model, field, model.__table__.c[field.column]  # type: ignore[attr-defined]
            if purpose == "lookup" and isinstance(field, SealedLookup):
                column = getattr(model, field.lookup_attr).property.columns[0]
                yield model, field, model.__table__.c[column.name]  # type: ignore[attr-defined]


def values_per_key(purpose: str) -> dict[str, int]:
    """How many stored values each key of `purpose` seals (or indexes, for "lookup")."""
    counts: dict[str, int] = {}
    for key_id in keyring().key_ids(purpose):
        counts[key_id] = sum(
            db.session.scalar(select(func.count()).where(column.startswith(f"{key_id}:"))) or 0
            for _, _, column in _columns_of(purpose))
    return counts


def reseal(purpose: str, batch_size: int = 500,
           after_batch: Callable[[], None] | None = None) -> int:
    """Seal again under the active key every value of `purpose` still under an older one (for
    "lookup": compute every blind index again), a batch per transaction: a run that stops is
    resumed by running it again. Returns how many values changed."""
    active = keyring().active_id(purpose)
    total = 0
    for model, field, column in _columns_of(purpose):
        table = model.__table__  # type: ignore[attr-defined]
        stored = table.c[field.column]
        key = table.c[field.row_key]
        while True:
            rows = db.session.execute(
                select(table.c.id, key, stored).where(column != "", column.is_not(None),
                                                      ~column.startswith(f"{active}:"))
                .order_by(table.c.id).limit(batch_size)).all()
            if not rows:
                break
            for row_id, row_key, token in rows:
                plaintext = field.open(token, row_key)
                if purpose == "lookup":
                    values = {column.name: lookup_token(plaintext)}
                else:
                    values = {stored.name: field.seal(plaintext, row_key)}
                # Only if the value is still the one read: a person who saved a new one
                # meanwhile sealed it under the active key, and keeps it.
                total += changed_rows(table.update()
                                      .where(table.c.id == row_id, stored == token)
                                      .values(values))
            db.session.commit()
            if after_batch is not None:
                after_batch()
    return total
