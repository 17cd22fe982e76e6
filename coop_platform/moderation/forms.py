from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from coop_platform.core.forms import PlatformForm


class ReviewForm(PlatformForm):
    """A decision on a questionnaire response; comments per question come as `comment.<key>`
    fields, read by the view."""

    reason = TextAreaField(_l("General comment"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required to reject; to return, give a general "
                                          "comment or comments on questions."))
