"""The one key manager: every key the platform uses, by purpose and version, from `keys/`.

Key files are named ``<purpose>-<version>.key`` (version zero-padded to four digits) and hold
the raw key in base64. The highest version of a purpose is the active one; older versions stay
readable so that what they protected can still be opened until it has been rewrapped.
Everything that needs a key goes through `KeyRing`, so that a KMS or Vault transit backend can
replace the files later without touching callers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from coop_platform.core import faults
from coop_platform.core.files import remove_temporaries, write_whole

# purpose -> length of the raw key in bytes
PURPOSES: dict[str, int] = {
    "document": 32,  # document key-encryption key (wraps per-version data keys)
    "totp": 32,  # TOTP secrets at rest
    "audit": 32,  # HMAC of the audit chain
    "checkpoint": 32,  # Ed25519 seed signing audit checkpoints
    "session": 64,  # Flask session signing secret
    "mail": 32,  # e-mail bodies waiting in the outbox (they can hold single-use links)
    "search": 32,  # text extracted from document files, kept for the search index
    "answers": 32,  # questionnaire answers, their remarks and the Secretariat's comments
    "content": 32,  # documents' titles, summaries, notes and reasons; notification texts
    "people": 32,  # people's names and e-mail addresses, wherever they are stored
    "lookup": 32,  # HMAC of normalised e-mail addresses: finding a person without them
    "auditlog": 32,  # the free text of audit records (reasons, search queries, addresses)
    "index": 32,  # HMAC of the terms both search indexes hold instead of words; their vocabulary
}
_FILE_RE = re.compile(r"^(?P<purpose>[a-z]+)-(?P<version>\d{4})\.key$")
_NONCE_BYTES = 12


class KeyError_(Exception):
    """Base class of key manager errors (named so it does not shadow the builtin)."""


class KeysMissing(KeyError_):
    pass


class KeyPermissionError(KeyError_):
    pass


class KeyFileMalformed(KeyError_):
    """A key file that does not hold a key of its purpose's length (an empty file, say)."""


class DecryptionError(KeyError_):
    """Ciphertext was altered, bound to another object, or made with an unknown key."""


@dataclass(frozen=True)
class KeyInfo:
    purpose: str
    version: int
    path: Path
    active: bool

    @property
    def key_id(self) -> str:
        return f"{self.purpose}-{self.version:04d}"


class KeyRing:
    # How long a listing of keys/ is trusted: every sealed value asks for its purpose's active
    # key, and listing the folder each time was most of the cost of sealing one. A rotation
    # made by this process shows at once; one made by another process within this time.
    LISTING_SECONDS = 1.0

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._cache: dict[str, bytes] = {}
        self._listing: tuple[float, list[KeyInfo]] | None = None

    # -- files -------------------------------------------------------------------------------
    def _scan(self) -> list[KeyInfo]:
        if not self.directory.is_dir():
            return []
        found: dict[str, list[tuple[int, Path]]] = {}
        for path in self.directory.iterdir():
            match = _FILE_RE.match(path.name)
            if match and match["purpose"] in PURPOSES:
                found.setdefault(match["purpose"], []).append((int(match["version"]), path))
        infos: list[KeyInfo] = []
        for purpose, versions in found.items():
            top = max(v for v, _ in versions)
            infos.extend(KeyInfo(purpose, v, p, v == top) for v, p in sorted(versions))
        return sorted(infos, key=lambda k: (k.purpose, k.version))

    def is_initialised(self) -> bool:
        present = {k.purpose for k in self._scan()}
        return present >= set(PURPOSES)

    def check_permissions(self) -> None:
        """Refuse keys that group or others can read: they would be as good as published."""
        infos = self._scan()
        if not infos:
            return  # nothing secret yet (a fresh clone has only the README here)
        problems = []
        if stat.S_IMODE(self.directory.stat().st_mode) & 0o077:
            problems.append(f"{self.directory} (folder)")
        for info in infos:
            if stat.S_IMODE(info.path.stat().st_mode) & 0o077:
                problems.append(str(info.path))
        if problems:
            raise KeyPermissionError(
                "Key files are readable by group or others: "
                + ", ".join(problems)
                + ". Run: chmod 700 on the folder and chmod 600 on the files."
            )

    def malformed(self) -> dict[str, str]:
        """{key id: what is wrong and what to do} for every key file that holds no key."""
        found = {}
        for info in self._scan():
            try:
                _decode(info.path.read_bytes(), info.purpose)
            except KeyFileMalformed as exc:
                found[info.key_id] = _advice(info, str(exc))
        return found

    def problems(self) -> list[str]:
        return list(self.malformed().values())

    def check_files(self) -> None:
        """Refuse to work with a malformed key file (KeyFileMalformed, naming each)."""
        found = self.problems()
        if found:
            raise KeyFileMalformed(" ".join(found))

    def _listed(self) -> list[KeyInfo]:
        """The keys, from a listing at most LISTING_SECONDS old."""
        now = time.monotonic()
        if self._listing is None or now - self._listing[0] > self.LISTING_SECONDS:
            self._listing = (now, self._scan())
        return self._listing[1]

    def _write_new(self, purpose: str, version: int) -> KeyInfo:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if purpose == "checkpoint":
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
        else:
            raw = os.urandom(PURPOSES[purpose])
        path = self.directory / f"{purpose}-{version:04d}.key"
        # Whole or absent under its name (a kill once left an empty active key), and never
        # over an existing key: two concurrent `keys init` cannot overwrite each other's.
        write_whole(path, base64.b64encode(raw) + b"\n", replace=False)
        faults.point("keys.write.done")
        self._listing = None
        return KeyInfo(purpose, version, path, True)

    def init(self) -> list[KeyInfo]:
        """Create the first key of every purpose that has none. Idempotent."""
        remove_temporaries(self.directory)
        present = {k.purpose for k in self._scan()}
        created = [self._write_new(p, 1) for p in PURPOSES if p not in present]
        self.check_permissions()
        return created

    def rotate(self, purpose: str) -> KeyInfo:
        if purpose not in PURPOSES:
            raise KeyError_(f"Unknown key purpose {purpose!r}.")
        versions = [k.version for k in self._scan() if k.purpose == purpose]
        return self._write_new(purpose, max(versions, default=0) + 1)

    def status(self) -> list[KeyInfo]:
        return self._scan()

    # -- access ------------------------------------------------------------------------------
    def key_ids(self, purpose: str) -> list[str]:
        """Every key id of `purpose` in keys/, oldest first."""
        return [k.key_id for k in self._listed() if k.purpose == purpose]

    def active_id(self, purpose: str) -> str:
        active = [k for k in self._listed() if k.purpose == purpose and k.active]
        if not active:
            raise KeysMissing(
                f"No {purpose!r} key in {self.directory}; run `flask --app wsgi keys init`."
            )
        return active[0].key_id

    def raw(self, key_id: str) -> bytes:
        if key_id not in self._cache:
            match = _FILE_RE.match(f"{key_id}.key")
            path = self.directory / f"{key_id}.key"
            if not match or not path.is_file():
                raise KeysMissing(f"Key {key_id!r} is not in the key folder.")
            try:
                self._cache[key_id] = _decode(path.read_bytes(), match["purpose"])
            except KeyFileMalformed as exc:
                info = KeyInfo(match["purpose"], int(match["version"]), path, False)
                raise KeyFileMalformed(_advice(info, str(exc))) from None
        return self._cache[key_id]

    def session_secret(self) -> bytes:
        return self.raw(self.active_id("session"))

    # -- small AEAD for short secrets (TOTP seeds, wrapped keys) -------------------------------
    def encrypt(self, purpose: str, plaintext: bytes, context: bytes) -> str:
        """AES-256-GCM under the active key of `purpose`; `context` binds the ciphertext to
        its owner (e.g. a user id), so it cannot be copied onto another row."""
        key_id = self.active_id(purpose)
        nonce = os.urandom(_NONCE_BYTES)
        aad = _aad(purpose, key_id, context)
        ciphertext = AESGCM(self.raw(key_id)).encrypt(nonce, plaintext, aad)
        return f"{key_id}:{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"

    def decrypt(self, purpose: str, token: str, context: bytes) -> bytes:
        key_id, _, body = token.partition(":")
        if not key_id.startswith(f"{purpose}-"):
            raise DecryptionError("Ciphertext was made for another purpose.")
        try:
            blob = base64.urlsafe_b64decode(body.encode())
            return AESGCM(self.raw(key_id)).decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(purpose, key_id, context)
            )
        except (ValueError, KeysMissing) as exc:
            raise DecryptionError(str(exc) or "Ciphertext could not be authenticated.") from exc
        except Exception as exc:  # cryptography's InvalidTag carries no message
            raise DecryptionError("Ciphertext could not be authenticated.") from exc

    # -- MAC and signatures --------------------------------------------------------------------
    def mac(self, purpose: str, data: bytes, key_id: str | None = None) -> tuple[str, str]:
        key_id = key_id or self.active_id(purpose)
        digest = hmac.new(self.raw(key_id), data, hashlib.sha256).hexdigest()
        return key_id, digest

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        key_id = self.active_id("checkpoint")
        return key_id, Ed25519PrivateKey.from_private_bytes(self.raw(key_id))

    def signature_holds(self, key_id: str, data: bytes, signature: bytes) -> bool:
        """Whether `signature` is the signing key `key_id`'s over `data` (False for a key
        that is not a signing key; KeysMissing when this instance lacks it)."""
        if not key_id.startswith("checkpoint-"):
            return False
        public = Ed25519PrivateKey.from_private_bytes(self.raw(key_id)).public_key()
        try:
            public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def _decode(data: bytes, purpose: str) -> bytes:
    """The raw key a file holds, checked: base64 of exactly the purpose's length."""
    if not data.strip():
        raise KeyFileMalformed("is empty")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileMalformed("is not base64") from None
    if len(raw) != PURPOSES[purpose]:
        raise KeyFileMalformed(f"holds {len(raw)} bytes, not {PURPOSES[purpose]}")
    return raw


def _advice(info: KeyInfo, what: str) -> str:
    return (f"The key file {info.path} {what}: restore it from the key backup. If it is the "
            f"newest {info.purpose} key and an interrupted `keys rotate` left it, nothing was "
            f"encrypted with it: remove the file and run `flask --app wsgi keys rotate "
            f"{info.purpose}` again.")


def _aad(purpose: str, key_id: str, context: bytes) -> bytes:
    return b"spc|" + purpose.encode() + b"|" + key_id.encode() + b"|" + context
