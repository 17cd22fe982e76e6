"""The States registry: loading the reference list and admin edits."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from coop_platform.core.authz import Role, require_role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import NotFound, ValidationFailed
from coop_platform.core.signals import audit_requested
from coop_platform.extensions import db
from coop_platform.states.models import (
    REGIONAL_GROUPS,
    STATE_STATUSES,
    State,
    by_display_name,
    interface_language,
    name_in,
    sort_key,
)

GROUP_BY_NAME = {name: code for code, (name, _label) in REGIONAL_GROUPS.items()}


def default_reference_path() -> Path:
    return Path(str(resources.files("coop_platform.states") / "data" / "states_parties.tsv"))


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_local_edits: int = 0


def _parse_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for line_no, row in enumerate(reader, start=2):
            iso3 = (row.get("iso3") or "").strip().upper()
            group = GROUP_BY_NAME.get((row.get("regional_group") or "").strip())
            status = (row.get("status") or "").strip()
            if len(iso3) != 3 or not iso3.isalpha() or group is None or status not in STATE_STATUSES:
                raise ValidationFailed(f"{path.name}: line {line_no} is not a valid State row.")
            since = (row.get("since") or "").strip()
            rows.append({
                "iso3": iso3,
                "name": (row.get("name") or "").strip()[:120],
                "name_fr": (row.get("name_fr") or "").strip()[:120],
                "name_es": (row.get("name_es") or "").strip()[:120],
                "regional_group": group,
                "status": status,
                "since": date.fromisoformat(since) if since else None,
                "note": (row.get("note") or "").strip(),
            })
    return rows


def _audit(action: str, **fields: Any) -> None:
    """A record in the caller's transaction, written by the audit layer (see core.signals)."""
    audit_requested.send(None, action=action, **fields)


def load_states(path: Path | None = None, overwrite_local_edits: bool = False) -> LoadReport:
    """Insert or update States from the reference file. Rows an admin edited in the product
    are left alone unless `overwrite_local_edits`. All or nothing."""
    rows = _parse_rows(path or default_reference_path())
    existing = {s.iso3: s for s in db.session.scalars(select(State))}
    report = LoadReport()
    for row in rows:
        state = existing.get(row["iso3"])
        values = dict(row, active=row["status"] == "party")
        if state is None:
            db.session.add(State(**values))
            report.created += 1
            continue
        if state.edited_in_product_at is not None and not overwrite_local_edits:
            report.kept_local_edits += 1
            continue
        changed = False
        for key, value in values.items():
            if getattr(state, key) != value:
                setattr(state, key, value)
                changed = True
        if overwrite_local_edits:
            state.edited_in_product_at = None
        report.updated += changed
        report.unchanged += not changed
    _audit("states.loaded", details={"created": report.created, "updated": report.updated,
                                     "kept_local_edits": report.kept_local_edits})
    db.session.commit()
    return report


def list_states(group: str = "", query: str = "", active: str = "") -> list[State]:
    stmt = select(State)
    if group in REGIONAL_GROUPS:
        stmt = stmt.where(State.regional_group == group)
    if query:
        q = query.strip().lower()
        stmt = stmt.where(func.lower(State.name).contains(q) | func.lower(State.name_fr).contains(q)
                          | func.lower(State.name_es).contains(q)
                          | func.lower(State.iso3).contains(q))
    if active in ("yes", "no"):
        stmt = stmt.where(State.active.is_(active == "yes"))
    return by_display_name(db.session.scalars(stmt))


class StateChoice(NamedTuple):
    id: int
    iso3: str
    display_name: str
    active: bool


def state_choices() -> tuple[StateChoice, ...]:
    """Every State for a filter's drop-down, named and sorted in the interface's language.

    Plain rows, not State objects: a list page shows this on every request, and hydrating 125
    objects and asking each for the interface's language was most of the page's cost."""
    rows = db.session.execute(select(State.id, State.iso3, State.name, State.name_fr,
                                     State.name_es, State.active))
    return _named_and_sorted(interface_language(), tuple(tuple(row) for row in rows))


# The rows are read at every request (an edit shows at once, in every process); naming and
# sorting them again was a sixth of a list page, so it is kept for each set of rows.
@lru_cache(maxsize=16)
def _named_and_sorted(language: str, rows: tuple[tuple[int, str, str, str, str, bool], ...]
                      ) -> tuple[StateChoice, ...]:
    choices = [StateChoice(id_, iso3, name_in(language, name, name_fr, name_es), active)
               for id_, iso3, name, name_fr, name_es, active in rows]
    return tuple(sorted(choices, key=lambda c: sort_key(c.display_name)))


def get_state(iso3: str) -> State:
    state = db.session.scalars(select(State).where(State.iso3 == iso3.upper())).one_or_none()
    if state is None:
        raise NotFound(_l("No such State."))
    return state


EDITABLE = ("name", "name_fr", "name_es", "regional_group", "status", "note")


def update_state(state: State, actor: Any, **values: Any) -> None:
    """Admin edit; marks the row so the reference loader will not overwrite it. `actor` None
    is the command line."""
    require_role(actor, Role.ADMIN, _l("Only administrators may edit States."))
    name = (values.get("name") or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed(_l("The name must have between 1 and 120 characters."), field="name")
    for key in ("name_fr", "name_es"):
        if len((values.get(key) or "").strip()) > 120:
            raise ValidationFailed(_l("A name must have at most 120 characters."), field=key)
    if values.get("regional_group") not in REGIONAL_GROUPS:
        raise ValidationFailed(_l("Choose one of the regional groups."), field="regional_group")
    if values.get("status") not in STATE_STATUSES:
        raise ValidationFailed(_l("Choose one of the listed statuses."), field="status")
    if len(values.get("note") or "") > 2000:
        raise ValidationFailed(_l("The note must have at most 2000 characters."), field="note")
    changes = {}
    for key in EDITABLE:
        if key not in values:
            continue
        new = (values.get(key) or "").strip() if key != "regional_group" else values[key]
        if getattr(state, key) != new:
            changes[key] = {"from": getattr(state, key), "to": new}
            setattr(state, key, new)
    if changes:
        state.edited_in_product_at = utcnow()
        _audit("state.updated", actor=actor, object_type="state", object_id=state.iso3,
               state_id=state.id, details={"changes": changes})
    db.session.commit()


def set_active(state: State, active: bool, actor: Any) -> None:
    """Deactivating a State stops its users at their next request (see User.is_active)."""
    require_role(actor, Role.ADMIN, _l("Only administrators may activate or deactivate States."))
    if state.active == active:
        raise ValidationFailed(_l("Nothing to change: the State is already in that condition."))
    state.active = active
    state.edited_in_product_at = utcnow()
    _audit("state.activated" if active else "state.deactivated", actor=actor,
           object_type="state", object_id=state.iso3, state_id=state.id)
    db.session.commit()
