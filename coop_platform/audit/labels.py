"""The audit trail in words: actions, outcomes and detail fields as a person reads them.
The CSV export keeps the raw codes."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l

ACTIONS = {
    "account.enrolled": _l("Account enrolled"),
    "account.preferences_changed": _l("Notification settings changed"),
    "audit.exported": _l("Audit trail exported"),
    "audit.head_exported": _l("Audit checkpoint exported"),
    "backup.created": _l("Backup made"),
    "backup.restored": _l("Backup restored"),
    "data.integrity_failure": _l("Stored content failed its integrity check"),
    "demo.account_created": _l("Demo account created"),
    "directory.listing_claimed": _l("Directory listing confirmed by its person"),
    "directory.listing_hidden": _l("Directory listing taken out"),
    "directory.listing_shown": _l("Directory listing shown again"),
    "demo.password_reset": _l("Demo password reset"),
    "document.audience_changed": _l("Document sharing changed"),
    "document.denied": _l("Document out of reach refused"),
    "document.downloaded": _l("Document downloaded"),
    "document.edited": _l("Document description edited"),
    "document.integrity_failure": _l("Document integrity check failed"),
    "document.publish": _l("Document published"),
    "document.reject": _l("Document rejected"),
    "document.return": _l("Document returned for revision"),
    "document.sharing_accepted": _l("Wider sharing accepted"),
    "document.sharing_refused": _l("Wider sharing refused"),
    "document.sharing_request_cancelled": _l("Wider sharing no longer asked for"),
    "document.sharing_requested": _l("Wider sharing asked for"),
    "document.submit": _l("Document submitted for moderation"),
    "document.uploaded": _l("Document uploaded"),
    "document.version_added": _l("New version uploaded"),
    "document.viewed": _l("Document viewed"),
    "document.withdraw": _l("Document withdrawn"),
    "user.court_organ_set": _l("Organ of the Court set on an account"),
    "document.revision_submitted": _l("Document revision sent for moderation"),
    "document.revision_accepted": _l("Document revision accepted"),
    "document.revision_returned": _l("Document revision returned"),
    "document.revision_rejected": _l("Document revision rejected"),
    "document.revision_recalled": _l("Document revision taken back"),
    "document.confirmed": _l("Document confirmed current"),
    "document.reminded": _l("Reminder of unconfirmed documents sent"),
    "documents.cleanup": _l("Document store cleaned up"),
    "enrolment.failure": _l("Enrolment failed"),
    "invitation.created": _l("Invitation created"),
    "keys.init": _l("Keys created"),
    "keys.resealed": _l("Stored values sealed again under a new key"),
    "keys.rewrapped": _l("Document keys rewrapped"),
    "keys.rotated": _l("Key rotated"),
    "login.failure": _l("Sign-in failed"),
    "login.lockout": _l("Account locked"),
    "login.password_ok": _l("Password accepted"),
    "login.success": _l("Signed in"),
    "logout": _l("Signed out"),
    "password.change_failure": _l("Password change failed"),
    "password.changed": _l("Password changed"),
    "questionnaire.accept": _l("Questionnaire response accepted"),
    "questionnaire.answers_confirmed": _l("Answers confirmed as still accurate"),
    "questionnaire.answers_saved": _l("Answers saved"),
    "questionnaire.cloned": _l("Questionnaire version created from another"),
    "questionnaire.closed": _l("Questionnaire closed"),
    "questionnaire.created": _l("Questionnaire created"),
    "questionnaire.exported": _l("Answers exported"),
    "search.performed": _l("Searched"),
    "questionnaire.open": _l("Questionnaire opened"),
    "questionnaire.question_added": _l("Question added to a draft version"),
    "questionnaire.question_edited": _l("Question of a draft version edited"),
    "questionnaire.question_removed": _l("Question removed from a draft version"),
    "questionnaire.recalled": _l("Questionnaire response recalled"),
    "questionnaire.reject": _l("Questionnaire response rejected"),
    "questionnaire.reminded": _l("Reminder of unconfirmed answers sent"),
    "questionnaire.return": _l("Questionnaire response returned with comments"),
    "questionnaire.submitted": _l("Questionnaire response submitted"),
    "recovery_code.used": _l("Recovery code used"),
    "recovery_codes.issued": _l("Recovery codes issued"),
    "request.denied": _l("Request refused"),
    "session.revoked_all": _l("All sessions ended"),
    "state.activated": _l("State activated"),
    "state.deactivated": _l("State deactivated"),
    "state.updated": _l("State edited"),
    "states.loaded": _l("States loaded"),
    "step_up.failure": _l("Confirmation code refused"),
    "step_up.success": _l("Confirmation code accepted"),
    "totp.reenrolled": _l("Authenticator replaced"),
    "totp.reenrolment_started": _l("Authenticator replacement started"),
    "totp.reset": _l("Second factor reset"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account enabled"),
    "user.unlocked": _l("Account unlocked"),
}
OUTCOMES = {"success": _l("Success"), "failure": _l("Failure"), "denied": _l("Denied")}
DETAILS = {
    "answers": _l("Answers"), "answers_carried": _l("Answers carried forward"),
    "audience": _l("Audience"), "changes": _l("Changes"), "comments": _l("Comments"),
    "created": _l("Created"), "family": _l("Family"), "format": _l("Format"),
    "layout": _l("Layout"), "part": _l("Part"), "question": _l("Question"),
    "questions": _l("Questions"),
    "source": _l("Source"),
    "email": _l("E-mail address"), "expires_at": _l("Expires"), "filters": _l("Filters"),
    "from": _l("Before"), "to": _l("After"), "invitation_id": _l("Invitation"),
    "kept_local_edits": _l("Local edits kept"), "method": _l("Method"),
    "narrowed": _l("Narrowed"), "path": _l("Address"), "purpose": _l("For"),
    "reason": _l("Reason"), "recovery_code_id": _l("Recovery code"),
    "replaced_previous": _l("Previous set replaced"), "role": _l("Role"),
    "share_with_court": _l("Court"), "size": _l("Size (bytes)"), "states": _l("States"),
    "status": _l("Status"), "step": _l("Step"), "type": _l("Type"), "until": _l("Until"),
    "updated": _l("Updated"), "version": _l("Version"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


def _value(value) -> str:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{DETAILS.get(k, k)}: {_value(v)}" for k, v in value.items())
    return "—" if value in (None, "") else str(value)


def detail_fields(details: str) -> list[tuple[str, str]]:
    """The details of a record as (label, value) pairs, in a stable order."""
    try:
        data = json.loads(details or "{}")
    except ValueError:
        return [(str(_l("Details")), details)]
    if not isinstance(data, dict):
        return [(str(_l("Details")), _value(data))]
    return [(str(DETAILS.get(k, k)), _value(v)) for k, v in sorted(data.items())]
