"""GET /search?q=… — the search page. Thin: read and check the parameters, call the service."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop_platform.core.exceptions import ValidationFailed
from coop_platform.core.params import page_number
from coop_platform.documents.models import DOCUMENT_TYPES, LANGUAGES, TOPICS
from coop_platform.search import query as q
from coop_platform.search.services import MAX_PAGE, Request, search
from coop_platform.states.models import REGIONAL_GROUPS
from coop_platform.states.services import state_choices

bp = Blueprint("search", __name__)
ORDERS = {"relevance": _l("Relevance"), "date": _l("Newest first")}
KIND_LABELS = {"": _l("Answers and documents"), "answer": _l("Questionnaire answers"),
               "document": _l("Documents")}
FACET_LABELS = {"state": _l("State"), "group": _l("Regional group"),
                "section": _l("Questionnaire section"), "question": _l("Question"),
                "topic": _l("Topic"), "type": _l("Document type"), "lang": _l("Language")}


def _request(args) -> Request:
    text = args.get("q", "")
    kind = args.get("kind", "")
    if kind not in KIND_LABELS:
        raise ValidationFailed(_l("Show either answers, documents, or both."))
    order = args.get("order", "relevance")
    if order not in ORDERS:
        raise ValidationFailed(_l("Order the results by relevance or by date."))
    page = page_number(args)
    if page > MAX_PAGE:
        raise ValidationFailed(_l("Only the first %(n)d pages of results can be shown; "
                                  "narrow the search.", n=MAX_PAGE))
    filters = {}
    for name in q.FIELDS:
        value = args.get(name, "")
        if value:
            parsed = q.parse(f"{name}:{value}")
            if not isinstance(parsed.tree, q.Filter):
                raise ValidationFailed(_l("The filter %(name)s has a value it does not take.",
                                          name=FACET_LABELS[name]))
            filters[name] = parsed.tree.value
    return Request(text=text, filters=filters, kind=kind, order=order, page=page)


def _labels() -> dict[str, dict[str, str]]:
    states = {s.iso3: s.display_name for s in state_choices()}
    return {"state": states,
            "group": {k: str(v[1]) for k, v in REGIONAL_GROUPS.items()},
            "topic": {k: str(v) for k, v in TOPICS.items()},
            "type": {k: str(v) for k, v in DOCUMENT_TYPES.items()},
            "lang": {k: str(v) for k, v in LANGUAGES.items()}}


@bp.get("", strict_slashes=False)
def results():
    wanted = _request(request.args)
    outcome = search(current_user, wanted)
    return render_template("search/results.html", outcome=outcome, args=request.args,
                           labels=_labels(), facet_labels=FACET_LABELS, orders=ORDERS,
                           kinds=KIND_LABELS, fields=q.FIELDS)
