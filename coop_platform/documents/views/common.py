"""What the document pages share: the blueprint, lookups that answer 404, the page a
refusal is shown on, and receiving a streamed upload."""

from __future__ import annotations

import logging
from itertools import chain

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from coop_platform.auth import sessions
from coop_platform.core.errors import audit_refusal, render_error
from coop_platform.core.exceptions import DomainError, NotFound, ValidationFailed
from coop_platform.core.forms import attach_error
from coop_platform.core.params import MAX_PAGE, bounded_int
from coop_platform.core.security import has_nul
from coop_platform.documents import models
from coop_platform.documents.forms import (
    ActionForm,
    SharingForm,
)
from coop_platform.documents.models import DocumentStatus
from coop_platform.documents.services import currency, queries, revisions
from coop_platform.documents.services import documents as docs
from coop_platform.documents.services import sharing as sharing_service
from coop_platform.documents.services.downloads import version_details
from coop_platform.documents.services.uploads import StorageFull, UploadSink, ensure_room
from coop_platform.documents.services.visibility import is_insider, is_owner
from coop_platform.documents.sniff import extension_for
from coop_platform.extensions import csrf, db
from coop_platform.states.models import REGIONAL_GROUPS

log = logging.getLogger(__name__)

bp = Blueprint("documents", __name__)


def current_reader():
    return current_user._get_current_object()


FILE_KINDS = {"pdf": "PDF", "docx": "Word (DOCX)", "xlsx": "Excel (XLSX)",
              "odt": "OpenDocument (ODT)", "ods": "OpenDocument (ODS)", "rtf": "RTF",
              "txt": _l("Plain text")}


@bp.app_template_filter("file_kind")
def _file_kind(content_type: str) -> str:
    """What a person calls the file's kind (from the sniffed type, never the name)."""
    return str(FILE_KINDS.get(extension_for(content_type), extension_for(content_type)))


def document_or_404(public_id: str):
    try:
        return docs.get_document(current_reader(), public_id)
    except NotFound:
        abort(404)


def version_or_404(public_id: str, version_id: str):
    try:
        return docs.get_version(current_reader(), public_id, version_id)
    except NotFound:
        abort(404)


def refused_page(error: DomainError, document, *, sharing=None, action_form=None):
    """A service refusal on a document the user can see, audited: 403 when the user may not
    act on it, otherwise (400, 409) the document page with the reason and the form as sent."""
    audit_refusal(error.status_code, str(error.message), object_type="document",
                  object_id=document.public_id, state_id=document.owner_state_id)
    if error.status_code in (403, 404):
        return render_error(error.status_code, error.message)
    if sharing is not None:
        attach_error(sharing, error)
    else:  # each action has its own small form: the reason is said at the top of the page
        flash(str(error.message), "error")
    return detail_page(document, error.status_code, sharing=sharing, action_form=action_form)


def fill_state_choices(form) -> None:
    states = queries.states_for_choice()
    form.states.choices = [SelectChoice(s.iso3, s.display_name) for s in states]
    # For the page: the same States as checkboxes, grouped by regional group.
    form.state_groups = [(label, [s for s in states if s.regional_group == code])
                         for code, (_name, label) in REGIONAL_GROUPS.items()]


def file_note(error: DomainError | None, sink: UploadSink | None = None):
    """What to say next to the file field after a refused form: the file's own problem, or
    that it must be chosen again (a refused upload is never kept, and browsers clear the
    field)."""
    if error is not None and error.details.get("field") == "file":
        return error.message
    if sink is not None and (not sink.received or sink.nothing_chosen):
        return _l("Choose a file to upload.")
    return _l("The file you chose was not kept, because the form had to be corrected: choose "
              "it again before sending.")


def receive_upload(sink: UploadSink) -> DomainError | None:
    """Parse the request body with the file streaming through `sink`, then check CSRF.
    A refusal while streaming (size, type) comes back as a DomainError for the form."""
    request.upload_sink_factory = sink  # type: ignore[attr-defined]  # read by the parser
    # The body may take minutes to arrive: no transaction (on SQLite, no write lock) is held
    # meanwhile. Objects loaded so far reload on their next use.
    db.session.rollback()
    try:
        ensure_room(request.content_length)
        csrf.protect()  # reads the form: this is when the body streams in
        _check_upload_fields()
    except DomainError as error:
        sink.discard()
        audit_storage_full(error)
        return error
    except BaseException:
        sink.discard()
        raise
    sessions.touch()  # the upload itself was activity, however long it took
    return None


def audit_storage_full(error: DomainError) -> None:
    """A full blob store is the operators' to fix: logged for them, audited as a refusal."""
    if isinstance(error, StorageFull):
        log.error("upload refused: the blob store is full (%s)", current_app.config["BLOB_DIR"])
        audit_refusal(507, "blob store full")


def _check_upload_fields() -> None:
    """What the generic checks could not see before the body was parsed."""
    if has_nul(chain.from_iterable(request.form.listvalues())):
        raise ValidationFailed(_l("The form contains a character that is not allowed (NUL)."))
    if set(request.files) - {"file"}:
        raise ValidationFailed(_l("Send the document in the file field of the form, and "
                                  "nothing else."), field="file")



def detail_page(document, status: int = 200, sharing=None, action_form=None):
    """The document page; a refused action or sharing change is shown on it, with its form
    as it was sent and the refusal's status."""
    user = current_reader()
    if sharing is None:
        sharing = SharingForm(obj=document, formdata=None)
        fill_state_choices(sharing)
        # The form starts from what the owner last asked for, waiting or approved.
        shown = sharing_service.requested(document) or sharing_service.current(document)
        described = shown.describe()
        sharing.audience.data = described["audience"]
        sharing.states.data = described["states"]
        sharing.share_with_court.data = described["share_with_court"]
    waiting = sharing_service.requested(document)
    insider = is_insider(user, document)  # the template hides names and recipients otherwise
    log_page = bounded_int(request.args, "log_page", 1, MAX_PAGE) or 1
    owner = is_owner(user, document)
    revision = document.open_revision if insider else None
    return render_template(
        "documents/detail.html", start_download=_download_to_start(user, document),
        document=document, m=models, insider=insider,
        audience_states=docs.audience_states(document) if insider else [],
        owner=owner,
        versions=[(v, version_details(v)) for v in docs.versions_for(user, document)],
        current_version=document.published_version,
        revision=revision,
        revision_changes=revisions.proposed_changes(revision) if revision else {},
        updated=revisions.latest_accepted(document)
        if document.status == DocumentStatus.PUBLISHED else None,
        stale=currency.is_stale(document),
        can_revise=_can(revisions.ensure_can_revise, user, document),
        can_decide_revision=revisions.may_decide(user, document),
        can_confirm=owner and document.status == DocumentStatus.PUBLISHED,
        access_log_page=queries.access_log_page(user, document, log_page,
                                                hide_owner_state=bool(request.args.get("hide_own"))),
        actions=docs.allowed_actions(user, document),
        action_form=action_form or ActionForm(formdata=None),
        sharing_form=sharing, history=queries.history(user, document), labels=queries.EVENT_LABELS,
        field_labels=queries.SNAPSHOT_LABELS,
        sharing_waiting=waiting.describe() if waiting is not None and (
            user.is_secretariat or is_owner(user, document)) else None,
        can_decide_sharing=sharing_service.may_decide(user, document),
        can_add_version=_can(docs.ensure_can_add_version, user, document),
        can_edit=_can(docs.ensure_can_edit, user, document),
        changes=docs.changes_since_review(document)
        if document.status == DocumentStatus.PENDING and (user.is_secretariat or is_owner(user, document))
        else None), status


def _download_to_start(user, document) -> str | None:
    """The download a step-up was passed for (`?download=<version>`): started by the page
    only for a version of this document, and while the code is fresh — a link someone else
    made starts nothing that would ask for a code."""
    wanted = request.args.get("download", "")
    if not wanted or not sessions.step_up_fresh():
        return None
    for version in docs.versions_for(user, document):
        if version.public_id == wanted:
            return url_for("documents.download", public_id=document.public_id,
                           version_id=version.public_id)
    return None


def _can(check, *args) -> bool:
    try:
        check(*args)
    except DomainError:
        return False
    return True

