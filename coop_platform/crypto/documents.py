"""Encryption at rest of document versions: envelope keys and a segmented AEAD stream.

Each version gets a fresh 256-bit data key (DEK), wrapped by the active document KEK of the
key manager (AAD binds purpose, KEK id and version id). The file is encrypted in 64 KiB
segments with AES-256-GCM following the STREAM construction of age and Tink's streaming AEAD:

    header  = MAGIC | format | algorithm | len(kek_id) | kek_id | version_id (16) | salt (32)
              | segment size (4, big-endian)
    key     = HKDF-SHA256(DEK, salt, info = b"spc-doc-v1" | version_id)
    nonce_i = i as 11 big-endian bytes | last-segment flag (1 byte)
    aad     = SHA-256(header)            (the header cannot be altered either)

The stream always ends with a segment carrying the flag; a stream cut at a segment boundary,
segments swapped or dropped, bytes after the final segment, a blob moved to another version or
opened with a wrong key all fail authentication. Memory use is one segment.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"SPCDOC"
FORMAT_VERSION = 1
ALGORITHM = 1  # AES-256-GCM, HKDF-SHA256 payload key, STREAM nonces
SEGMENT_SIZE = 64 * 1024
TAG_SIZE = 16
_MAX_SEGMENTS = 2**88  # 11-byte counter


class IntegrityError(Exception):
    """The stored bytes are not what was written for this version with this key."""


def new_dek() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _payload_key(dek: bytes, salt: bytes, version_id: uuid.UUID) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=b"spc-doc-v1" + version_id.bytes).derive(dek)


def _nonce(index: int, last: bool) -> bytes:
    if index >= _MAX_SEGMENTS:
        raise IntegrityError("too many segments")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


@dataclass(frozen=True)
class Header:
    kek_id: str
    version_id: uuid.UUID
    salt: bytes
    segment_size: int

    def encode(self) -> bytes:
        kek = self.kek_id.encode("ascii")
        return (MAGIC + bytes([FORMAT_VERSION, ALGORITHM, len(kek)]) + kek
                + self.version_id.bytes + self.salt + struct.pack(">I", self.segment_size))

    @classmethod
    def read(cls, stream: BinaryIO) -> tuple[Header, bytes]:
        fixed = stream.read(len(MAGIC) + 3)
        if len(fixed) != len(MAGIC) + 3 or fixed[: len(MAGIC)] != MAGIC:
            raise IntegrityError("not an encrypted document blob")
        if fixed[len(MAGIC)] != FORMAT_VERSION or fixed[len(MAGIC) + 1] != ALGORITHM:
            raise IntegrityError("unknown blob format or algorithm")
        rest_len = fixed[-1] + 16 + 32 + 4
        rest = stream.read(rest_len)
        if len(rest) != rest_len:
            raise IntegrityError("truncated header")
        kek_len = fixed[-1]
        try:
            kek_id = rest[:kek_len].decode("ascii")
        except UnicodeDecodeError as exc:
            raise IntegrityError("malformed header") from exc
        version_id = uuid.UUID(bytes=rest[kek_len : kek_len + 16])
        salt = rest[kek_len + 16 : kek_len + 48]
        (segment_size,) = struct.unpack(">I", rest[kek_len + 48 :])
        if segment_size != SEGMENT_SIZE:
            raise IntegrityError("unexpected segment size")
        return cls(kek_id, version_id, salt, segment_size), fixed + rest


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class SegmentEncryptor:
    """Feed plaintext in any chunk sizes; encrypted segments go to `sink` as they fill."""

    def __init__(self, sink: Writable, dek: bytes, version_id: uuid.UUID, kek_id: str) -> None:
        self.header = Header(kek_id, version_id, os.urandom(32), SEGMENT_SIZE)
        encoded = self.header.encode()
        self._aad = hashlib.sha256(encoded).digest()
        self._aead = AESGCM(_payload_key(dek, self.header.salt, version_id))
        self._sink = sink
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        self.plaintext_size = 0
        sink.write(encoded)

    def _emit(self, chunk: bytes | memoryview, last: bool) -> None:
        self._sink.write(self._aead.encrypt(_nonce(self._index, last), chunk, self._aad))
        self._index += 1

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("encryptor already finished")
        self.plaintext_size += len(data)
        view = memoryview(data)
        # Keep at least one byte back: the final segment must carry the last-segment flag.
        if self._buffer:
            need = SEGMENT_SIZE - len(self._buffer)
            if len(view) <= need:
                self._buffer += view
                return
            self._buffer += view[:need]
            view = view[need:]
            self._emit(bytes(self._buffer), last=False)
            self._buffer.clear()
        while len(view) > SEGMENT_SIZE:
            self._emit(view[:SEGMENT_SIZE], last=False)
            view = view[SEGMENT_SIZE:]
        self._buffer += view

    def finish(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True


def decrypt_segments(stream: BinaryIO, dek: bytes, version_id: uuid.UUID) -> Iterator[bytes]:
    """Yield verified plaintext segment by segment; raise IntegrityError at the first bad one
    (nothing unverified is ever yielded)."""
    header, encoded = Header.read(stream)
    if header.version_id != version_id:
        raise IntegrityError("blob belongs to another version")
    aad = hashlib.sha256(encoded).digest()
    aead = AESGCM(_payload_key(dek, header.salt, version_id))
    size = header.segment_size + TAG_SIZE
    current = stream.read(size)
    index = 0
    while True:
        following = stream.read(size) if len(current) == size else b""
        last = not following
        if len(current) < TAG_SIZE:
            raise IntegrityError(f"segment {index} is truncated")
        try:
            yield aead.decrypt(_nonce(index, last), current, aad)
        except InvalidTag as exc:
            raise IntegrityError(f"segment {index} failed authentication") from exc
        if last:
            return
        current = following
        index += 1


class RandomAccessPlaintext(io.RawIOBase):
    """A seekable, read-only view of a blob's plaintext, verified segment by segment as it is
    read (one segment in memory). For checking a package's structure after upload without
    writing plaintext anywhere; a segment that fails authentication raises IntegrityError."""

    def __init__(self, stream: BinaryIO, dek: bytes, version_id: uuid.UUID) -> None:
        super().__init__()
        self._stream = stream
        header, encoded = Header.read(stream)
        if header.version_id != version_id:
            raise IntegrityError("blob belongs to another version")
        self._aad = hashlib.sha256(encoded).digest()
        self._aead = AESGCM(_payload_key(dek, header.salt, version_id))
        self._body = len(encoded)
        stream.seek(0, os.SEEK_END)
        body = stream.tell() - self._body
        stored = SEGMENT_SIZE + TAG_SIZE
        self._segments = max(1, -(-body // stored))
        last_len = body - (self._segments - 1) * stored - TAG_SIZE
        if last_len < 0:
            raise IntegrityError("final segment is truncated")
        self.size = (self._segments - 1) * SEGMENT_SIZE + last_len
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def _segment(self, index: int) -> bytes:
        if self._cached and self._cached[0] == index:
            return self._cached[1]
        self._stream.seek(self._body + index * (SEGMENT_SIZE + TAG_SIZE))
        sealed = self._stream.read(SEGMENT_SIZE + TAG_SIZE)
        try:
            plain = self._aead.decrypt(_nonce(index, index == self._segments - 1), sealed,
                                       self._aad)
        except InvalidTag as exc:
            raise IntegrityError(f"segment {index} failed authentication") from exc
        self._cached = (index, plain)
        return plain

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self._pos < self.size:
            index, offset = divmod(self._pos, SEGMENT_SIZE)
            chunk = self._segment(index)[offset : offset + len(view) - filled]
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
            self._pos += len(chunk)
        return filled


def ciphertext_size(plaintext_size: int, kek_id: str) -> int:
    """Exact size of the blob for a plaintext of this size (used to check stored blobs)."""
    header = len(MAGIC) + 3 + len(kek_id.encode("ascii")) + 16 + 32 + 4
    segments = max(1, -(-plaintext_size // SEGMENT_SIZE))
    return header + plaintext_size + segments * TAG_SIZE


# -- small metadata sealed with the file's own key --------------------------------------------
def _meta_key(dek: bytes, version_id: uuid.UUID) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"spc-doc-meta-v1" + version_id.bytes).derive(dek)


def seal_metadata(dek: bytes, version_id: uuid.UUID, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_meta_key(dek, version_id)).encrypt(nonce, plaintext, version_id.bytes)


def open_metadata(dek: bytes, version_id: uuid.UUID, sealed: bytes) -> bytes:
    try:
        return AESGCM(_meta_key(dek, version_id)).decrypt(sealed[:12], sealed[12:],
                                                          version_id.bytes)
    except InvalidTag as exc:
        raise IntegrityError("version metadata failed authentication") from exc
