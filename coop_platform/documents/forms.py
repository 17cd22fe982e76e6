from __future__ import annotations

from flask import current_app
from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coop_platform.auth.forms import REQUIRED
from coop_platform.core.forms import PlatformForm
from coop_platform.documents.models import (
    AUDIENCES,
    CLASSIFICATIONS,
    DOCUMENT_TYPES,
    LANGUAGES,
    TOPICS,
)


def _choices(mapping) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in mapping.items()]


def step_up_minutes() -> int:
    """How long an authenticator code opens confidential downloads, as configured."""
    return int(current_app.config["STEP_UP_WINDOW"].total_seconds() // 60)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SharingFields:
    audience = RadioField(_l("Who may see it"), choices=_choices(AUDIENCES), default="all_states")
    states = SelectMultipleField(_l("States to share with"), choices=[], validate_choice=True,
                                 description=_l("Only when sharing with selected States."))
    share_with_court = BooleanField(_l("Also share with the Court"))


class MetadataFields:
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)])
    # No silent default: the person says what the document is.
    document_type = SelectField(_l("Type of document"),
                                choices=[SelectChoice("", _l("— choose —")),
                                         *_choices(DOCUMENT_TYPES)],
                                validators=[DataRequired(_l("Choose the type of document."))])
    topics = CheckboxList(_l("Topics"), choices=_choices(TOPICS),
                          validators=[DataRequired(_l("Choose at least one topic."))])
    language = SelectField(_l("Language of the document"), choices=_choices(LANGUAGES))
    classification = SelectField(
        _l("Handling label"), choices=_choices(CLASSIFICATIONS), default="restricted",
        description=LazyString(lambda: gettext(
            "Public: may also be published outside the platform. Restricted: this platform "
            "only. Confidential: a download asks for an authenticator code when the last one "
            "was entered more than %(minutes)d minutes before, and the title is never put in "
            "e-mails.", minutes=step_up_minutes())))
    originator_control = BooleanField(
        _l("Originator control"),
        description=_l("No onward sharing without your State's consent; shown on the page and "
                       "in the name of every download."))


class DocumentForm(SharingFields, MetadataFields, PlatformForm):
    """The upload form; the file itself streams through the upload sink, not WTForms."""


class MetadataForm(MetadataFields, PlatformForm):
    """Editing the description of a draft or returned document."""


class SharingForm(SharingFields, PlatformForm):
    pass


class ActionForm(PlatformForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


def _what_changed(label: LazyString, description: LazyString) -> TextAreaField:
    return TextAreaField(label, description=description,
                         validators=[DataRequired(_l("Say in a few words what changed.")),
                                     Length(max=1000)])


class VersionForm(PlatformForm):
    """New version: what changed, besides the streamed file."""

    note = _what_changed(_l("What changed in this version"),
                         _l("For example: “Article 12 amended by the law of 3 March 2026.” "
                            "Everyone who may see the document reads it."))


class RevisionForm(MetadataFields, PlatformForm):
    """A revision of a published document: its description as it should read, what changed,
    and optionally a new file (streamed through the upload sink, not WTForms)."""

    note = _what_changed(_l("What changed"),
                         _l("For example: “Article 12 amended by the law of 3 March 2026.” "
                            "Once the Secretariat accepts the revision, everyone who may see "
                            "the document reads it."))
