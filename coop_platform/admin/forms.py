from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from coop_platform.auth.forms import REQUIRED
from coop_platform.auth.models import ROLES
from coop_platform.core.forms import ConfirmForm, PlatformForm
from coop_platform.states.models import REGIONAL_GROUPS, STATE_STATUSES


class InviteForm(PlatformForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in ROLES.items()],
                       validators=[DataRequired(REQUIRED)])
    state = SelectField(_l("State"), choices=[], validate_choice=True,
                        description=_l("Required for focal points; none for Court liaisons and "
                                       "administrators."))


class StateForm(PlatformForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    name_fr = StringField(_l("Name in French"), validators=[Optional(), Length(max=120)])
    name_es = StringField(_l("Name in Spanish"), validators=[Optional(), Length(max=120)])
    regional_group = SelectField(_l("Regional group"),
                                 choices=[SelectChoice(k, v[1]) for k, v in REGIONAL_GROUPS.items()])
    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in STATE_STATUSES.items()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


__all__ = ["ConfirmForm", "InviteForm", "StateForm"]
