"""Signals between domains: the sender does not import the receivers."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A document moved along its lifecycle. sender: the Document; kwargs: action, actor, reason.
#: Sent inside the transaction, before commit: receivers add their rows to the same one.
document_transitioned = _signals.signal("document-transitioned")

#: A recovery code was used to sign in. sender: the User.
recovery_code_used = _signals.signal("recovery-code-used")
