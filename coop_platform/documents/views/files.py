"""Files in and out: upload, new version, download, the step-up before a confidential
download."""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import lazy_gettext as _l

from coop_platform.auth import sessions
from coop_platform.auth.forms import StepUpForm
from coop_platform.auth.services.codes import take_code
from coop_platform.auth.services.common import AccountLocked
from coop_platform.core.authz import SECRETARIAT_ROLES, Role, roles_required
from coop_platform.core.errors import render_error
from coop_platform.core.exceptions import DomainError, Forbidden
from coop_platform.core.forms import attach_error, status_for
from coop_platform.core.i18n import format_when
from coop_platform.core.security import streams_upload
from coop_platform.crypto.documents import IntegrityError
from coop_platform.documents.forms import (
    DocumentForm,
    RevisionForm,
    VersionForm,
    step_up_minutes,
)
from coop_platform.documents.services import documents as docs
from coop_platform.documents.services import revisions
from coop_platform.documents.services.downloads import open_version
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.documents.sniff import extension_for
from coop_platform.documents.views.common import (
    audit_storage_full,
    bp,
    current_reader,
    document_or_404,
    file_note,
    fill_state_choices,
    receive_upload,
    refused_page,
    version_or_404,
)
from coop_platform.extensions import csrf, db, limiter


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.FOCAL_POINT, Role.COURT, *SECRETARIAT_ROLES)
@csrf.exempt  # checked in receive_upload, once the file has streamed through encryption
@streams_upload
def upload():
    try:  # before a byte is read: whose would the document be?
        docs.owner_for(current_reader())
    except DomainError as error:
        return render_error(error.status_code, error.message)
    status = 200
    if request.method == "POST":
        sink = UploadSink()
        cut_short = receive_upload(sink)
        if cut_short is not None:
            # The body was cut short: never parse it again; show the form afresh.
            form = DocumentForm(formdata=None, meta={"csrf": False})
            fill_state_choices(form)
            return render_template("documents/upload.html", form=form,
                                   upload_error=file_note(cut_short)), cut_short.status_code
        form = DocumentForm(meta={"csrf": False})  # CSRF was checked in receive_upload
        fill_state_choices(form)
        if not form.validate():
            sink.discard()
            return render_template("documents/upload.html", form=form,
                                   upload_error=file_note(None, sink)), 400
        data = docs.DocumentInput(
            title=form.title.data or "", summary=form.summary.data or "",
            document_type=form.document_type.data, topics=form.topics.data or [],
            language=form.language.data, classification=form.classification.data,
            audience=form.audience.data, states=form.states.data or [],
            share_with_court=form.share_with_court.data,
            originator_control=form.originator_control.data)
        try:
            document = docs.create_document(current_reader(), data, sink)
        except DomainError as error:
            sink.discard()
            audit_storage_full(error)
            status = attach_error(form, error)
            return render_template("documents/upload.html", form=form,
                                   upload_error=file_note(error, sink)), status
        flash(_l("The document was stored encrypted as a draft. Submit it for moderation when "
                 "it is ready."), "success")
        return redirect(url_for("documents.detail", public_id=document.public_id), 303)
    form = DocumentForm()
    fill_state_choices(form)
    return render_template("documents/upload.html", form=form), status

@bp.route("/<pid:public_id>/versions/new", methods=["GET", "POST"])
@csrf.exempt  # checked in receive_upload
@streams_upload
def new_version(public_id: str):
    document = document_or_404(public_id)
    try:
        # Before a byte of the body is read: a refused version is never streamed or stored.
        docs.ensure_can_add_version(current_reader(), document)
    except DomainError as error:
        return refused_page(error, document)
    if request.method == "POST":
        sink = UploadSink()
        cut_short = receive_upload(sink)
        if cut_short is not None:  # the body was cut short: never parse it again
            return render_template("documents/new_version.html", document=document,
                                   form=VersionForm(formdata=None, meta={"csrf": False}),
                                   upload_error=file_note(cut_short)), cut_short.status_code
        form = VersionForm(meta={"csrf": False})  # CSRF was checked in receive_upload
        if not form.validate():
            sink.discard()
            return render_template("documents/new_version.html", document=document, form=form,
                                   upload_error=file_note(None, sink)), 400
        try:
            version = docs.add_version(current_reader(), document, sink, form.note.data or "")
        except DomainError as exc:
            sink.discard()
            audit_storage_full(exc)
            status = attach_error(form, exc)
            return render_template("documents/new_version.html", document=document, form=form,
                                   upload_error=file_note(exc, sink)), status
        flash(_l("Version %(n)d was stored encrypted.", n=version.number), "success")
        return redirect(url_for("documents.detail", public_id=public_id), 303)
    return render_template("documents/new_version.html", document=document, form=VersionForm())

@bp.route("/<pid:public_id>/revise", methods=["GET", "POST"])
@csrf.exempt  # checked in receive_upload
@streams_upload
def revise(public_id: str):
    """A revision of a published or withdrawn document: description, new file, or both."""
    document = document_or_404(public_id)
    user = current_reader()
    try:
        # Before a byte of the body is read. A revision already waiting is checked once the
        # body came: the person then gets their words back with the reason.
        revisions.ensure_can_revise(user, document, waiting_ok=request.method == "POST")
    except DomainError as error:
        return refused_page(error, document)
    returned = document.open_revision

    def page(form, status=200, upload_error=None):
        return render_template("documents/revise.html", document=document, form=form,
                               returned=returned, upload_error=upload_error), status

    if request.method == "GET":
        form = RevisionForm(obj=revisions.input_from(returned, document))
        return page(form)
    sink = UploadSink()
    cut_short = receive_upload(sink)
    if cut_short is not None:  # the body was cut short: never parse it again
        form = RevisionForm(formdata=None, obj=revisions.input_from(returned, document),
                            meta={"csrf": False})
        return page(form, cut_short.status_code, file_note(cut_short))
    form = RevisionForm(meta={"csrf": False})  # CSRF was checked in receive_upload
    with_file = sink.received and not sink.nothing_chosen
    if not form.validate():
        sink.discard()
        return page(form, 400, file_note(None, sink) if with_file else None)
    data = revisions.RevisionInput(
        note=form.note.data or "", title=form.title.data or "",
        summary=form.summary.data or "", document_type=form.document_type.data,
        topics=form.topics.data or [], language=form.language.data,
        classification=form.classification.data,
        originator_control=bool(form.originator_control.data))
    if not with_file:
        sink.discard()
    try:
        revisions.propose(user, document, data, sink if with_file else None)
    except DomainError as error:
        sink.discard()
        audit_storage_full(error)
        status = attach_error(form, error)
        return page(form, status, file_note(error, sink) if with_file else None)
    flash(_l("The revision was sent to the Secretariat. Until it accepts it, everyone else "
             "sees the document as published."), "success")
    return redirect(url_for("documents.detail", public_id=public_id), 303)


def _content_disposition(filename: str) -> str:
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_"
                       for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/<pid:public_id>/versions/<pid:version_id>/download")
def download(public_id: str, version_id: str):
    document, version = version_or_404(public_id, version_id)
    if document.classification == "confidential" and not sessions.step_up_fresh():
        return redirect(url_for("documents.step_up", public_id=public_id, version_id=version_id))
    try:
        opened = open_version(current_reader(), document, version)
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
    document, version = version_or_404(public_id, version_id)
    form = StepUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            take_code(current_reader(), form.code.data, address=request.remote_addr or "",
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
            minutes = step_up_minutes()
            flash(_l("Code accepted: the download of version %(n)d starts now; no code is "
                     "asked again for %(minutes)d minutes.", n=version.number,
                     minutes=minutes), "success")
            # Back on the document, whose page starts the download it was asked for.
            return redirect(url_for("documents.detail", public_id=public_id,
                                    download=version_id), 303)
    return render_template("documents/step_up.html", form=form, document=document,
                           version=version,
                           window=step_up_minutes()), max(status, status_for(form))
