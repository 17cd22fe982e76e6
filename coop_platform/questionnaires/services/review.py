"""The Secretariat's decisions on a submitted response: accept (the submitted answers become
what peers read), return (with a comment per question), reject.

Peers keep reading the previously accepted answers until a successor is accepted. Each
decision notes which revision of each answer it saw, so on resubmission the Secretariat
sees what changed since its last decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from coop_platform.audit.services import record
from coop_platform.auth.models import User
from coop_platform.core.authz import SECRETARIAT_ROLES, require_role
from coop_platform.core.clock import utcnow
from coop_platform.core.exceptions import Conflict, NotFound, ValidationFailed
from coop_platform.core.locks import lock
from coop_platform.core.signals import response_transitioned
from coop_platform.extensions import db
from coop_platform.questionnaires.models import Answer, AnswerRevision, Question, Response, ResponseStatus

DECISIONS = {"accept": "accepted", "return": "returned", "reject": "rejected"}
MAX_COMMENT = 2000


def _require_secretariat(user: User) -> None:
    require_role(user, SECRETARIAT_ROLES, _l("Only the Secretariat decides on responses."))


def get_for_review(user: User, public_id: str) -> Response:
    _require_secretariat(user)
    response = db.session.scalars(select(Response).where(
        Response.public_id == public_id, Response.submitted_at.is_not(None))).one_or_none()
    if response is None:
        raise NotFound(_l("No such response, or it was never submitted."))
    return response


@dataclass
class ReviewLine:
    question: Question
    submitted: AnswerRevision | None
    last_reviewed: AnswerRevision | None  # what the Secretariat saw at its last decision
    changed: bool
    comment: str


def review_lines(user: User, response: Response) -> list[ReviewLine]:
    """Every question with the submitted answer, and what it was at the last decision."""
    _require_secretariat(user)
    seen = json.loads(response.reviewed_revisions_json or "{}")
    submitted = aliased(AnswerRevision)
    rows = db.session.execute(
        select(Answer, Question, submitted)
        .join(Question, Answer.question_id == Question.id)
        .outerjoin(submitted, (submitted.answer_id == Answer.id)
                   & (submitted.number == Answer.submitted_revision))
        .where(Answer.response_id == response.id).order_by(Question.position)).all()
    wanted = [(a.id, seen[q.key]) for a, q, _ in rows if seen.get(q.key)]
    earlier = {}
    if wanted:
        for rev in db.session.scalars(select(AnswerRevision).where(
                AnswerRevision.answer_id.in_([a for a, _ in wanted]))):
            if (rev.answer_id, rev.number) in set(wanted):
                earlier[rev.answer_id] = rev
    lines = []
    for answer, question, rev in rows:
        before = earlier.get(answer.id)
        # A new revision that says the same ("Yes" saved again as "Yes") is no change.
        changed = bool(seen) and _content(rev) != _content(before)
        lines.append(ReviewLine(question, rev, before, changed, answer.review_comment))
    return lines


def _content(revision: AnswerRevision | None) -> tuple[object, str, bool] | None:
    """What a reader sees of a revision: its value, its remarks, whether it is "Secretariat
    only"; None for no answer (no revision, or one that cleared the value)."""
    if revision is None or revision.value is None:
        return None
    return (revision.value, revision.remarks, revision.secretariat_only)


def _changed_by_acceptance(response: Response) -> list[str]:
    """Keys whose submitted revision differs from the accepted one in what a reader sees:
    the value, the remarks or the "Secretariat only" flag (a first acceptance is a change)."""
    seen: dict[str, dict[str, tuple[str, str, bool]]] = {}
    for key, accepted, submitted, revision in db.session.execute(
            select(Question.key, Answer.accepted_revision, Answer.submitted_revision,
                   AnswerRevision)
            .join(Answer, AnswerRevision.answer_id == Answer.id)
            .join(Question, Answer.question_id == Question.id)
            .where(Answer.response_id == response.id,
                   or_(AnswerRevision.number == Answer.accepted_revision,
                       AnswerRevision.number == Answer.submitted_revision))):
        number, value, remarks = revision.number, revision.value_json, revision.remarks
        restricted = revision.secretariat_only
        content = (value, remarks, restricted)
        if number == submitted:
            seen.setdefault(key, {})["new"] = content
        if number == accepted:
            seen.setdefault(key, {})["old"] = content
    return sorted(k for k, v in seen.items() if "new" in v and v["new"] != v.get("old")
                  and not (v.get("old") is None and v["new"][0] == "null"))


def _checked_words(action: str, reason: str, comments: dict[str, str] | None
                   ) -> tuple[str, dict[str, str]]:
    """The reason and the per-question comments, trimmed; a return needs one of them, a
    rejection its reason."""
    reason = (reason or "").strip()
    comments = {k: v.strip() for k, v in (comments or {}).items() if v and v.strip()}
    if len(reason) > MAX_COMMENT or any(len(v) > MAX_COMMENT for v in comments.values()):
        raise ValidationFailed(_l("A comment must have at most %(n)d characters.",
                                  n=MAX_COMMENT), field="reason")
    if action == "return" and not (reason or comments):
        raise ValidationFailed(_l("Say what should change, in general or per question."),
                               field="reason")
    if action == "reject" and not reason:
        raise ValidationFailed(_l("Give a reason."), field="reason")
    return reason, comments


def _accept_answers(response: Response) -> None:
    """Every submitted revision becomes the accepted one, in one statement."""
    db.session.execute(
        update(Answer).where(Answer.response_id == response.id,
                             Answer.submitted_revision.is_not(None))
        .values(accepted_revision=Answer.submitted_revision, review_comment="",
                # Widening is the Secretariat's decision: the flag of what it accepts.
                secretariat_only=select(AnswerRevision.secretariat_only).where(
                    AnswerRevision.answer_id == Answer.id,
                    AnswerRevision.number == Answer.submitted_revision)
                .scalar_subquery())
        .execution_options(synchronize_session=False))


def decide(user: User, response: Response, action: str, reason: str = "",
           comments: dict[str, str] | None = None) -> Response:
    """Refusals: NotFound (unknown action), Forbidden (not the Secretariat), Conflict (not
    submitted), ValidationFailed (a return or rejection without a reason or comment)."""
    if action not in DECISIONS:
        raise NotFound(_l("Unknown action."))
    _require_secretariat(user)
    lock(response)
    if response.status != ResponseStatus.SUBMITTED:
        raise Conflict(_l("This cannot be done while the response is “%(status)s”.",
                          status=response.status_label))
    reason, comments = _checked_words(action, reason, comments)
    answers = {q.key: a for a, q in db.session.execute(
        select(Answer, Question).join(Question, Answer.question_id == Question.id)
        .where(Answer.response_id == response.id))}
    if set(comments) - set(answers):
        raise ValidationFailed(_l("Comments name questions that are not in this questionnaire."),
                               field="reason")
    changed = _changed_by_acceptance(response) if action == "accept" else []
    if action == "accept":
        _accept_answers(response)
    else:
        for key, answer in answers.items():
            answer.review_comment = comments.get(key, "")
    previous = response.status
    response.status = DECISIONS[action]
    response.reviewed_at, response.reviewed_by_id = utcnow(), user.id
    response.review_comment = reason
    response.reviewed_revisions_json = json.dumps(
        {k: a.submitted_revision for k, a in answers.items() if a.submitted_revision},
        sort_keys=True)
    record(f"questionnaire.{action}", actor=user, object_type="response",
           object_id=response.public_id, state_id=response.state_id,
           details={"from": previous, "to": response.status, "reason": reason,
                    "comments": sorted(comments)})
    response_transitioned.send(response, action=action, actor=user, reason=reason,
                               changed=changed)
    db.session.commit()
    db.session.expire_all()
    return response
