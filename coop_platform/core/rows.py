"""How many rows a statement changed: UPDATE and DELETE report it on the cursor's result,
which is what the check-and-write statements (claims, leases, one-time codes) decide on."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable

from coop_platform.extensions import db


def changed_rows(statement: Executable, params: dict[str, Any] | None = None) -> int:
    result = db.session.execute(statement, params)
    return cast("CursorResult[Any]", result).rowcount
