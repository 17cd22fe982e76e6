"""Reading documents: the list, a document's page, editing its description."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import DomainError
from coop_platform.core.forms import attach_error, status_for
from coop_platform.core.params import page_number
from coop_platform.documents import models
from coop_platform.documents.forms import (
    MetadataForm,
)
from coop_platform.documents.services import currency, queries
from coop_platform.documents.services import documents as docs
from coop_platform.documents.views.common import (
    bp,
    current_reader,
    detail_page,
    document_or_404,
    refused_page,
)
from coop_platform.states.models import REGIONAL_GROUPS
from coop_platform.states.services import state_choices


@bp.get("/")
def index():
    args = request.args
    flt = queries.DocumentFilter(
        state=args.get("state", ""), group=args.get("group", ""),
        document_type=args.get("type", ""), topic=args.get("topic", ""),
        language=args.get("language", ""), classification=args.get("classification", ""),
        status=args.get("status", ""), stale=args.get("stale") == "1",
        publisher=args.get("publisher", ""),
        sort=args.get("sort", "updated"))
    pagination = queries.list_documents(current_reader(), flt, page=page_number(args))
    return render_template("documents/list.html", pagination=pagination, args=args, m=models,
                           is_stale=currency.is_stale,
                           may_upload=docs.may_upload(current_reader()),
                           groups=REGIONAL_GROUPS, states=state_choices())

@bp.get("/<pid:public_id>")
def detail(public_id: str):
    document = document_or_404(public_id)
    page = detail_page(document)
    # Recorded (and committed) once the page is rendered, before it leaves: a commit first
    # would expire everything the page reads, and rendering would read it all again.
    docs.record_view(current_reader(), document)
    return page

@bp.route("/<pid:public_id>/edit", methods=["GET", "POST"])
def edit(public_id: str):
    document = document_or_404(public_id)
    try:
        docs.ensure_can_edit(current_reader(), document)
    except DomainError as error:
        return refused_page(error, document)
    form = MetadataForm(obj=document)
    if request.method == "GET":
        form.topics.data = document.topics
    status = 200
    if form.validate_on_submit():
        try:
            docs.edit_metadata(current_reader(), document, docs.MetadataInput(
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
