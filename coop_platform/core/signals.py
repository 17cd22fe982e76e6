"""Signals between domains: the sender does not import the receivers."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A document moved along its lifecycle, or a revision of it did. sender: the Document;
#: kwargs: action, actor, reason; the revision's actions ("submit_revision",
#: "accept_revision", "return_revision", "reject_revision") also carry revision.
#: Sent inside the transaction, before commit: receivers add their rows to the same one.
document_transitioned = _signals.signal("document-transitioned")

#: A request was refused (403, 429, a CSRF failure, or a form a view refused). sender: None;
#: kwargs: actor (or None), status, reason, path (safe to store), method, object_type,
#: object_id, state_id. Sent inside a fresh transaction that the sender commits: the audit
#: trail records it (core cannot import audit).
request_refused = _signals.signal("request-refused")

#: A layer below audit asks for a record in the current transaction (states cannot import
#: audit). sender: None; kwargs: exactly record()'s (action, actor, object_type, ...).
audit_requested = _signals.signal("audit-requested")

#: The sharing of a published document: a wider audience was requested, or the Secretariat
#: accepted or refused one. sender: the Document; kwargs: action ("request", "accept",
#: "refuse"), actor, reason; with accept/refuse also before and after (Audience.describe()).
#: Sent inside the transaction, before commit.
sharing_changed = _signals.signal("sharing-changed")

#: A recovery code was used to sign in. sender: the User.
recovery_code_used = _signals.signal("recovery-code-used")

#: A questionnaire response was submitted or decided on. sender: the Response; kwargs: action
#: ("submit", "accept", "return", "reject"), actor, reason, and changed: the keys of the
#: answers whose accepted text, remarks or "Secretariat only" flag an acceptance changed.
#: Sent inside the transaction, before commit.
response_transitioned = _signals.signal("response-transitioned")

#: Answers of a State's open response have not been confirmed for eleven months. sender: the
#: Response; kwargs: count. Sent inside the transaction, before commit.
answers_need_confirmation = _signals.signal("answers-need-confirmation")

#: Published documents of one owner have not been confirmed current for eleven months.
#: sender: the owner State, or None for guidance; kwargs: organ (None for a State's), count.
#: Sent inside the transaction, before commit.
documents_need_confirmation = _signals.signal("documents-need-confirmation")
