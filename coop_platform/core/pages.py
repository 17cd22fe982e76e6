"""A page of a list and its total in one query.

Flask-SQLAlchemy's pagination asks the database twice, for the page's rows and then for their
count. The total rides along with the rows as a window count instead (`count(*) over ()`, in
SQLite since 3.25 and in PostgreSQL): one round trip fewer on every list page, which on the
production stack was a fifth of the document list's time."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from coop_platform.extensions import db


class _CountedPagination(Pagination):
    def _query_items(self) -> list[Any]:
        stmt: Select[Any] = self._query_args["select"]
        rows = db.session.execute(stmt.add_columns(func.count().over())
                                  .limit(self.per_page).offset(self._query_offset)).all()
        self._total: int | None = rows[0][-1] if rows else None
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        if self._total is not None:
            return self._total
        # Past the last page no row carries the total: count the plain way.
        stmt: Select[Any] = self._query_args["select"]
        sub = stmt.options(lazyload("*")).order_by(None).subquery()
        return db.session.execute(select(func.count()).select_from(sub)).scalar_one()


def paginate(stmt: Select[Any], page: int, per_page: int) -> Pagination:
    """The `page`-th page of `per_page` entities selected by `stmt` (a select of one entity,
    no joined collection), and their total; a page past the end is empty, never a 404."""
    return _CountedPagination(select=stmt, page=page, per_page=per_page, error_out=False)


class _ListedPagination(Pagination):
    """A page of a list already ordered in Python (by a sealed value the database cannot
    compare): `load(ids)` returns the page's entities in the order of `ids`."""

    def _query_items(self) -> list[Any]:
        ids: list[Any] = self._query_args["ids"]
        start = self._query_offset
        return list(self._query_args["load"](ids[start:start + self.per_page]))

    def _query_count(self) -> int:
        return len(self._query_args["ids"])


def paginate_ids(ids: list[Any], load: Any, page: int, per_page: int) -> Pagination:
    """The `page`-th page of the ordered `ids`, its entities loaded by `load(ids)` in order."""
    return _ListedPagination(ids=ids, load=load, page=page, per_page=per_page, error_out=False)
