from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coop_platform.core.clock import utcnow
from coop_platform.extensions import Model

# Code -> (name in the reference data, label shown to users)
REGIONAL_GROUPS: dict[str, tuple[str, object]] = {
    "AFR": ("African States", _l("African States")),
    "APS": ("Asia-Pacific States", _l("Asia-Pacific States")),
    "EEU": ("Eastern European States", _l("Eastern European States")),
    "GRULAC": ("Latin American and Caribbean States", _l("Latin American and Caribbean States")),
    "WEOG": ("Western European and other States", _l("Western European and other States")),
}
STATE_STATUSES = {"party": _l("State Party"), "withdrawn": _l("Withdrawn")}


class State(Model):
    __tablename__ = "states"
    __table_args__ = (
        CheckConstraint("regional_group IN ('AFR','APS','EEU','GRULAC','WEOG')", name="group"),
        CheckConstraint("status IN ('party','withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))  # English, UN short name
    name_fr: Mapped[str] = mapped_column(String(120), default="")
    name_es: Mapped[str] = mapped_column(String(120), default="")
    regional_group: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="party")
    since: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # Inactive: its users cannot sign in; its content stays with the Secretariat.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an admin edits the row, so `states load` leaves it alone unless asked.
    edited_in_product_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def display_name(self) -> str:
        """The official short name in the interface's language (English when none is known)."""
        return name_in(interface_language(), self.name, self.name_fr, self.name_es)

    @property
    def regional_group_label(self) -> str:
        return str(REGIONAL_GROUPS[self.regional_group][1])

    @property
    def status_label(self) -> str:
        return str(STATE_STATUSES[self.status])

    def __repr__(self) -> str:
        return f"<State {self.iso3}>"


def interface_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def name_in(language: str, name: str, name_fr: str, name_es: str) -> str:
    return {"fr": name_fr, "es": name_es}.get(language) or name


def sort_key(name: str) -> str:
    """Alphabetical, accents aside (Égypte among the E)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def by_display_name(states: Iterable[State]) -> list[State]:
    """Alphabetical in the interface's language."""
    language = interface_language()
    return sorted(states, key=lambda s: sort_key(name_in(language, s.name, s.name_fr, s.name_es)))
