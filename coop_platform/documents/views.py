"""Document pages: list, detail, upload, new version, download, sharing and lifecycle."""

from __future__ import annotations

from itertools import chain
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from coop_platform.auth import sessions
from coop_platform.auth.forms import StepUpForm
from coop_platform.auth.services.codes import take_code
from coop_platform.auth.services.common import AccountLocked
from coop_platform.core.authz import roles_required
from coop_platform.core.errors import audit_refusal, render_error
from coop_platform.core.exceptions import DomainError, Forbidden, NotFound, ValidationFailed
from coop_platform.core.forms import attach_error, status_for
from coop_platform.core.i18n import format_when
from coop_platform.core.params import MAX_PAGE, bounded_int, page_number
from coop_platform.core.security import has_nul, streams_upload
from coop_platform.documents import models
from coop_platform.documents.crypto import IntegrityError
from coop_platform.documents.forms import (
    ActionForm,
    DocumentForm,
    MetadataForm,
    SharingForm,
    VersionForm,
)
from coop_platform.documents.services import documents as docs
from coop_platform.documents.services import queries
from coop_platform.documents.services import sharing as sharing_service
from coop_platform.documents.services.downloads import open_version, version_details
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.documents.services.visibility import is_owner
from coop_platform.documents.sniff import extension_for
from coop_platform.extensions import csrf, db, limiter
from coop_platform.states.models import REGIONAL_GROUPS
from coop_platform.states.services import list_states

bp = Blueprint("documents", __name__)


def _user():
    return current_user._get_current_object()


FILE_KINDS = {"pdf": "PDF", "docx": "Word (DOCX)", "xlsx": "Excel (XLSX)",
              "odt": "OpenDocument (ODT)", "ods": "OpenDocument (ODS)", "rtf": "RTF",
              "txt": _l("Plain text")}


@bp.app_template_filter("file_kind")
def _file_kind(content_type: str) -> str:
    """What a person calls the file's kind (from the sniffed type, never the name)."""
    return str(FILE_KINDS.get(extension_for(content_type), extension_for(content_type)))


def _document_or_404(public_id: str):
    try:
        return docs.get_document(_user(), public_id)
    except NotFound:
        abort(404)


def _version_or_404(public_id: str, version_id: str):
    try:
        return docs.get_version(_user(), public_id, version_id)
    except NotFound:
        abort(404)


def _refused(error: DomainError, document, *, sharing=None, action_form=None):
    """A service refusal on a document the user can see, audited: 403 when the user may not
    act on it, otherwise (400, 409) the document page with the reason and the form as sent."""
    audit_refusal(error.status_code, str(error.message), object_type="document",
                  object_id=document.public_id, state_id=document.owner_state_id)
    if error.status_code in (403, 404):
        return render_error(error.status_code, error.message)
    if sharing is not None:
        attach_error(sharing, error)
    else:  # each action has its own small form: the reason is said at the top of the page
        flash(error.message, "error")
    return _detail_page(document, error.status_code, sharing=sharing, action_form=action_form)


def _state_choices(form) -> None:
    states = queries.states_for_choice()
    form.states.choices = [SelectChoice(s.iso3, s.display_name) for s in states]
    # For the page: the same States as checkboxes, grouped by regional group.
    form.state_groups = [(label, [s for s in states if s.regional_group == code])
                         for code, (_name, label) in REGIONAL_GROUPS.items()]


def _file_note(error: DomainError | None, sink: UploadSink | None = None):
    """What to say next to the file field after a refused form: the file's own problem, or
    that it must be chosen again (a refused upload is never kept, and browsers clear the
    field)."""
    if error is not None and error.details.get("field") == "file":
        return error.message
    if sink is not None and (not sink.received or sink.nothing_chosen):
        return _l("Choose a file to upload.")
    return _l("The file you chose was not kept, because the form had to be corrected: choose "
              "it again before sending.")


def _receive_upload(sink: UploadSink) -> DomainError | None:
    """Parse the request body with the file streaming through `sink`, then check CSRF.
    A refusal while streaming (size, type) comes back as a DomainError for the form."""
    request.upload_sink_factory = sink
    # The body may take minutes to arrive: no transaction (on SQLite, no write lock) is held
    # meanwhile. Objects loaded so far reload on their next use.
    db.session.rollback()
    try:
        csrf.protect()  # reads the form: this is when the body streams in
        _check_upload_fields()
    except DomainError as error:
        sink.discard()
        return error
    except BaseException:
        sink.discard()
        raise
    sessions.touch()  # the upload itself was activity, however long it took
    return None


def _check_upload_fields() -> None:
    """What the generic checks could not see before the body was parsed."""
    if has_nul(chain.from_iterable(request.form.listvalues())):
        raise ValidationFailed(_l("The form contains a character that is not allowed (NUL)."))
    if set(request.files) - {"file"}:
        raise ValidationFailed(_l("Send the document in the file field of the form, and "
                                  "nothing else."), field="file")


@bp.get("/")
def index():
    args = request.args
    flt = queries.DocumentFilter(
        state=args.get("state", ""), group=args.get("group", ""),
        document_type=args.get("type", ""), topic=args.get("topic", ""),
        language=args.get("language", ""), classification=args.get("classification", ""),
        status=args.get("status", ""), sort=args.get("sort", "updated"))
    pagination = queries.list_documents(_user(), flt, page=page_number(args))
    return render_template("documents/list.html", pagination=pagination, args=args, m=models,
                           groups=REGIONAL_GROUPS, states=list_states())


@bp.route("/new", methods=["GET", "POST"])
@roles_required("focal_point")
@csrf.exempt  # checked in _receive_upload, once the file has streamed through encryption
@streams_upload
def upload():
    status = 200
    if request.method == "POST":
        sink = UploadSink()
        error = _receive_upload(sink)
        if error is not None:
            # The body was cut short: never parse it again; show the form afresh.
            form = DocumentForm(formdata=None, meta={"csrf": False})
            _state_choices(form)
            return render_template("documents/upload.html", form=form,
                                   upload_error=_file_note(error)), error.status_code
        form = DocumentForm(meta={"csrf": False})  # CSRF was checked in _receive_upload
        _state_choices(form)
        if not form.validate():
            sink.discard()
            return render_template("documents/upload.html", form=form,
                                   upload_error=_file_note(None, sink)), 400
        data = docs.DocumentInput(
            title=form.title.data or "", summary=form.summary.data or "",
            document_type=form.document_type.data, topics=form.topics.data or [],
            language=form.language.data, classification=form.classification.data,
            audience=form.audience.data, states=form.states.data or [],
            share_with_court=form.share_with_court.data,
            originator_control=form.originator_control.data)
        try:
            document = docs.create_document(_user(), data, sink)
        except DomainError as error:
            sink.discard()
            status = attach_error(form, error)
            return render_template("documents/upload.html", form=form,
                                   upload_error=_file_note(error, sink)), status
        flash(_l("The document was stored encrypted as a draft. Submit it for moderation when "
                 "it is ready."), "success")
        return redirect(url_for("documents.detail", public_id=document.public_id), 303)
    form = DocumentForm()
    _state_choices(form)
    return render_template("documents/upload.html", form=form), status


@bp.get("/<pid:public_id>")
def detail(public_id: str):
    document = _document_or_404(public_id)
    docs.record_view(_user(), document)
    return _detail_page(document)


def _detail_page(document, status: int = 200, sharing=None, action_form=None):
    """The document page; a refused action or sharing change is shown on it, with its form
    as it was sent and the refusal's status."""
    user = _user()
    if sharing is None:
        sharing = SharingForm(obj=document, formdata=None)
        _state_choices(sharing)
        # The form starts from what the owner last asked for, waiting or approved.
        shown = sharing_service.requested(document) or sharing_service.current(document)
        described = shown.describe()
        sharing.audience.data = described["audience"]
        sharing.states.data = described["states"]
        sharing.share_with_court.data = described["share_with_court"]
    waiting = sharing_service.requested(document)
    # The owner State and the Secretariat see how the document came to be (moderation
    # history with names, reasons, every recipient State); a peer sees when it was published.
    insider = user.is_secretariat or is_owner(user, document)
    history = queries.history(document, with_reasons=insider)
    if not insider:
        history = [(e, "") for e, _reason in history if e.action == "document.publish"]
    log_page = bounded_int(request.args, "log_page", 1, MAX_PAGE) or 1
    return render_template(
        "documents/detail.html", document=document, m=models, insider=insider,
        audience_states=docs.audience_states(document) if insider else [],
        owner=is_owner(user, document),
        versions=[(v, version_details(v)) for v in document.versions],
        access_log_page=queries.access_log_page(user, document, log_page,
                                                hide_owner_state=bool(request.args.get("hide_own"))),
        actions=docs.allowed_actions(user, document),
        action_form=action_form or ActionForm(formdata=None),
        sharing_form=sharing, history=history, labels=queries.EVENT_LABELS,
        field_labels=queries.SNAPSHOT_LABELS,
        sharing_waiting=waiting.describe() if waiting is not None and (
            user.is_secretariat or is_owner(user, document)) else None,
        can_decide_sharing=sharing_service.may_decide(user, document),
        can_add_version=_can(docs.ensure_can_add_version, user, document),
        can_edit=_can(docs.ensure_can_edit, user, document),
        changes=docs.changes_since_review(document)
        if document.status == "pending" and (user.is_secretariat or is_owner(user, document))
        else None), status


# Decisions that cannot be undone are confirmed on a second page.
CONFIRMED_ACTIONS = ("reject", "withdraw")


def _can(check, *args) -> bool:
    try:
        check(*args)
    except DomainError:
        return False
    return True


@bp.route("/<pid:public_id>/versions/new", methods=["GET", "POST"])
@roles_required("focal_point")
@csrf.exempt  # checked in _receive_upload
@streams_upload
def new_version(public_id: str):
    document = _document_or_404(public_id)
    try:
        # Before a byte of the body is read: a refused version is never streamed or stored.
        docs.ensure_can_add_version(_user(), document)
    except DomainError as error:
        return _refused(error, document)
    if request.method == "POST":
        sink = UploadSink()
        error = _receive_upload(sink)
        if error is not None:  # the body was cut short: never parse it again
            return render_template("documents/new_version.html", document=document,
                                   form=VersionForm(formdata=None, meta={"csrf": False}),
                                   upload_error=_file_note(error)), error.status_code
        form = VersionForm(meta={"csrf": False})  # CSRF was checked in _receive_upload
        if not form.validate():
            sink.discard()
            return render_template("documents/new_version.html", document=document, form=form,
                                   upload_error=_file_note(None, sink)), 400
        try:
            version = docs.add_version(_user(), document, sink, form.note.data or "")
        except DomainError as exc:
            sink.discard()
            status = attach_error(form, exc)
            return render_template("documents/new_version.html", document=document, form=form,
                                   upload_error=_file_note(exc, sink)), status
        flash(_l("Version %(n)d was stored encrypted.", n=version.number), "success")
        return redirect(url_for("documents.detail", public_id=public_id), 303)
    return render_template("documents/new_version.html", document=document, form=VersionForm())


@bp.route("/<pid:public_id>/edit", methods=["GET", "POST"])
def edit(public_id: str):
    document = _document_or_404(public_id)
    try:
        docs.ensure_can_edit(_user(), document)
    except DomainError as error:
        return _refused(error, document)
    form = MetadataForm(obj=document)
    if request.method == "GET":
        form.topics.data = document.topics
    status = 200
    if form.validate_on_submit():
        try:
            docs.edit_metadata(_user(), document, docs.MetadataInput(
                title=form.title.data or "", summary=form.summary.data or "",
                document_type=form.document_type.data, topics=form.topics.data or [],
                language=form.language.data, classification=form.classification.data,
                originator_control=form.originator_control.data))
        except DomainError as error:
            status = attach_error(form, error)
        else:
            flash(_l("The description was saved."), "success")
            return redirect(url_for("documents.detail", public_id=public_id), 303)
    return render_template("documents/edit.html", document=document, form=form), \
        max(status, status_for(form))


def _content_disposition(filename: str) -> str:
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_"
                       for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/<pid:public_id>/versions/<pid:version_id>/download")
def download(public_id: str, version_id: str):
    document, version = _version_or_404(public_id, version_id)
    if document.classification == "confidential" and not sessions.step_up_fresh():
        return redirect(url_for("documents.step_up", public_id=public_id, version_id=version_id))
    try:
        opened = open_version(_user(), document, version)
    except IntegrityError:
        return render_template("errors/error.html", status=500, title=_l("Integrity check failed"),
                               message=_l("The stored file failed its integrity check and was not "
                                          "sent. The event was recorded for the Secretariat.")), 500
    # The name keeps what the person called the file, with the extension of what it is.
    stem = opened.filename.rsplit(".", 1)[0] if "." in opened.filename else opened.filename
    name = f"{stem or 'document'}.{extension_for(opened.content_type)}"
    if document.originator_control:
        name = f"ORCON - {name}"
    # content_type, not mimetype: Flask would add a second charset to text/plain; charset=utf-8
    response = Response(stream_with_context(opened.chunks), content_type=opened.content_type,
                        direct_passthrough=True)
    response.headers["Content-Disposition"] = _content_disposition(name)
    response.headers["Content-Length"] = str(opened.size)
    return response


@bp.route("/<pid:public_id>/versions/<pid:version_id>/step-up", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def step_up(public_id: str, version_id: str):
    """A fresh code before a confidential download. A right code leads back to the document
    (the download link then works for the step-up window); the page never keeps the code."""
    document, version = _version_or_404(public_id, version_id)
    form = StepUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            take_code(_user(), form.code.data, address=request.remote_addr or "",
                      purpose="download")
        except AccountLocked as error:
            status = attach_error(form, Forbidden(_l(
                "Too many failed attempts: this account is locked until %(until)s (UTC).",
                until=format_when(error.until)), field="code"))
        except DomainError as error:
            status = attach_error(form, error)
        else:
            db.session.commit()
            sessions.mark_step_up()
            minutes = int(current_app.config["STEP_UP_WINDOW"].total_seconds() // 60)
            flash(_l("Code accepted. Download version %(n)d now; no code is asked again for "
                     "%(minutes)d minutes.", n=version.number, minutes=minutes), "success")
            return redirect(url_for("documents.detail", public_id=public_id), 303)
    return render_template("documents/step_up.html", form=form, document=document,
                           version=version,
                           window=int(current_app.config["STEP_UP_WINDOW"].total_seconds() // 60)
                           ), max(status, status_for(form))


@bp.post("/<pid:public_id>/sharing")
def sharing(public_id: str):
    document = _document_or_404(public_id)
    form = SharingForm()
    _state_choices(form)
    if not form.validate_on_submit():
        return _refused(ValidationFailed(_l("Check the sharing choices.")), document,
                        sharing=form)
    try:
        outcome = sharing_service.change(_user(), document, sharing_service.Sharing(
            form.audience.data, form.states.data or [], form.share_with_court.data))
    except DomainError as error:
        return _refused(error, document, sharing=form)
    if outcome.requested:
        flash(_l("The wider sharing was sent to the Secretariat for approval. Until it decides, "
                 "the document stays shared as approved.") if not outcome.applied else
              _l("The narrower part of the change applies now; the wider part was sent to the "
                 "Secretariat for approval."), "success")
    else:
        flash(_l("Who may see the document was changed."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


@bp.post("/<pid:public_id>/sharing/<decision>")
def sharing_decision(public_id: str, decision: str):
    """The Secretariat accepts or refuses a wider sharing asked for by the owner State."""
    if decision not in ("accept", "refuse"):
        abort(404)
    document = _document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(ValidationFailed(_l("Check the reason.")), document, action_form=form)
    try:
        sharing_service.decide(_user(), document, decision == "accept", form.reason.data or "")
    except DomainError as error:
        return _refused(error, document, action_form=form)
    flash(_l("The wider sharing was accepted: it applies now.") if decision == "accept" else
          _l("The wider sharing was refused; the owner State is told why."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


@bp.post("/<pid:public_id>/<action>")
def act(public_id: str, action: str):
    document = _document_or_404(public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(ValidationFailed(_l("Check the reason.")), document, action_form=form)
    # An action that cannot be undone, and would be taken, is first confirmed on a second
    # page (no JavaScript needed): nothing has changed yet. Refusals go straight through.
    if (action in CONFIRMED_ACTIONS and not request.form.get("confirmed")
            and docs.may_take(_user(), document, action)
            and (document.status, action) in docs.TRANSITIONS
            and (form.reason.data or "").strip()):
        return render_template("documents/confirm.html", document=document, action=action,
                               form=form)
    try:
        docs.transition(_user(), document, action, form.reason.data or "")
    except DomainError as error:
        return _refused(error, document, action_form=form)
    flash(_l("Done: the document is now “%(status)s”.", status=models.STATUSES[document.status]),
          "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)
