"""Signed checkpoints of the chain head, kept outside the server.

`audit head` exports {sequence, head hash, time} signed with the Ed25519 checkpoint key.
`audit verify --head FILE` later proves that the chain still contains that record with that
hash: a truncated or rewritten chain fails even if whoever did it also fixed the head row.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from coop_platform.audit.models import AuditEvent, AuditHead
from coop_platform.audit.services import VerifyResult, record, verify
from coop_platform.core.clock import utcnow
from coop_platform.crypto.keyring import KeysMissing
from coop_platform.extensions import db, keyring

FORMAT = "spc-audit-checkpoint-v1"


class CheckpointInvalid(Exception):
    pass


def _signed_part(data: dict[str, Any]) -> bytes:
    body = {k: data[k] for k in ("format", "seq", "hash", "exported_at", "key_id")}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def export_head() -> dict[str, Any]:
    head = db.session.get_one(AuditHead, 1)
    key_id, key = keyring().signing_key()
    data = {"format": FORMAT, "seq": head.seq, "hash": head.hash,
            "exported_at": utcnow().isoformat(), "key_id": key_id}
    data["signature"] = base64.b64encode(key.sign(_signed_part(data))).decode()
    data["public_key"] = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    record("audit.head_exported", details={"seq": head.seq})
    db.session.commit()
    return data


@dataclass(frozen=True)
class HeadCheck:
    ok: bool
    reason: str
    chain: VerifyResult


def check_against(data: dict) -> HeadCheck:
    try:
        if data.get("format") != FORMAT:
            raise CheckpointInvalid("not an audit checkpoint file")
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.from_private_bytes(keyring().raw(str(data["key_id"])))
        private.public_key().verify(base64.b64decode(data["signature"]), _signed_part(data))
        seq, expected = int(data["seq"]), str(data["hash"])
    except (KeyError, TypeError, ValueError, KeysMissing) as exc:
        raise CheckpointInvalid(f"unreadable checkpoint: {exc}") from exc
    except InvalidSignature as exc:
        raise CheckpointInvalid("the checkpoint's signature does not verify") from exc
    chain = verify()
    if not chain.ok:
        return HeadCheck(False, "the chain itself is broken", chain)
    if seq == 0:
        return HeadCheck(True, "", chain)
    found = db.session.scalars(select(AuditEvent.hash).where(AuditEvent.seq == seq)).one_or_none()
    if found is None:
        return HeadCheck(False, f"the chain ends before the exported head (sequence {seq}): "
                                "records were removed", chain)
    if found != expected:
        return HeadCheck(False, f"the record at sequence {seq} is not the one exported: "
                                "the chain was rewritten", chain)
    return HeadCheck(True, "", chain)
