"""The segmented stream: round trips at the edges, and every tampering detected."""

from __future__ import annotations

import io
import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop_platform.crypto.documents import (
    SEGMENT_SIZE,
    TAG_SIZE,
    IntegrityError,
    SegmentEncryptor,
    ciphertext_size,
    decrypt_segments,
    new_dek,
    open_metadata,
    seal_metadata,
)

KEK = "document-0001"


def encrypt(data: bytes, dek: bytes, version: uuid.UUID, chunk: int = 10_000) -> bytes:
    out = io.BytesIO()
    enc = SegmentEncryptor(out, dek, version, KEK)
    for i in range(0, len(data), chunk):
        enc.write(data[i : i + chunk])
    enc.finish()
    return out.getvalue()


def decrypt(blob: bytes, dek: bytes, version: uuid.UUID) -> bytes:
    return b"".join(decrypt_segments(io.BytesIO(blob), dek, version))


@pytest.mark.parametrize("size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1,
                                  5 * SEGMENT_SIZE + 123, 4 * SEGMENT_SIZE])
def test_round_trip_sizes(size):
    data = os.urandom(size)
    dek, version = new_dek(), uuid.uuid4()
    blob = encrypt(data, dek, version)
    assert len(blob) == ciphertext_size(size, KEK)
    assert decrypt(blob, dek, version) == data


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=3 * SEGMENT_SIZE), chunk=st.integers(min_value=1, max_value=SEGMENT_SIZE * 2))
def test_round_trip_any_chunking(data, chunk):
    dek, version = new_dek(), uuid.uuid4()
    assert decrypt(encrypt(data, dek, version, chunk), dek, version) == data


@pytest.fixture
def sample():
    data = os.urandom(3 * SEGMENT_SIZE + 500)
    dek, version = new_dek(), uuid.uuid4()
    return data, dek, version, encrypt(data, dek, version)


def header_len(blob: bytes) -> int:
    return len(blob) - (3 * SEGMENT_SIZE + 500) - 4 * TAG_SIZE


def segments(blob):
    start = header_len(blob)
    size = SEGMENT_SIZE + TAG_SIZE
    body = blob[start:]
    return blob[:start], [body[i : i + size] for i in range(0, len(body), size)]


def test_flipped_byte_anywhere_is_detected(sample):
    _, dek, version, blob = sample
    for position in (0, 10, header_len(blob) - 1, header_len(blob) + 5, len(blob) // 2, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(IntegrityError):
            decrypt(bytes(tampered), dek, version)


def test_swapped_segments_are_detected(sample):
    _, dek, version, blob = sample
    header, segs = segments(blob)
    segs[0], segs[1] = segs[1], segs[0]
    with pytest.raises(IntegrityError):
        decrypt(header + b"".join(segs), dek, version)


def test_dropped_last_segment_is_detected(sample):
    _, dek, version, blob = sample
    header, segs = segments(blob)
    with pytest.raises(IntegrityError):
        decrypt(header + b"".join(segs[:-1]), dek, version)


def test_truncated_and_extended_streams_are_detected(sample):
    _, dek, version, blob = sample
    for bad in (blob[:-1], blob[:-TAG_SIZE], blob + b"\x00", blob + os.urandom(SEGMENT_SIZE + TAG_SIZE)):
        with pytest.raises(IntegrityError):
            decrypt(bad, dek, version)


def test_full_final_segment_then_extra_segment_is_detected():
    data = os.urandom(2 * SEGMENT_SIZE)
    dek, version = new_dek(), uuid.uuid4()
    blob = encrypt(data, dek, version)
    header, segs = segments_of(blob, 2 * SEGMENT_SIZE, 2)
    with pytest.raises(IntegrityError):
        decrypt(header + segs[0] + segs[1] + segs[0], dek, version)


def segments_of(blob, size, count):
    start = len(blob) - size - count * TAG_SIZE
    body = blob[start:]
    step = SEGMENT_SIZE + TAG_SIZE
    return blob[:start], [body[i : i + step] for i in range(0, len(body), step)]


def test_blob_moved_to_another_version_is_detected(sample):
    _, dek, _version, blob = sample
    with pytest.raises(IntegrityError):
        decrypt(blob, dek, uuid.uuid4())


def test_wrong_key_is_detected(sample):
    _, _dek, version, blob = sample
    with pytest.raises(IntegrityError):
        decrypt(blob, new_dek(), version)


def test_nothing_unverified_is_yielded_before_the_bad_segment(sample):
    data, dek, version, blob = sample
    header, segs = segments(blob)
    bad = bytearray(segs[2])
    bad[0] ^= 1
    out = []
    stream = decrypt_segments(io.BytesIO(header + segs[0] + segs[1] + bytes(bad) + segs[3]), dek, version)

    def drain():
        for chunk in stream:
            out.append(chunk)

    with pytest.raises(IntegrityError):
        drain()
    assert b"".join(out) == data[: 2 * SEGMENT_SIZE]


def test_metadata_sealed_to_version(sample):
    _, dek, version, _ = sample
    sealed = seal_metadata(dek, version, b'{"filename": "loi.pdf"}')
    assert open_metadata(dek, version, sealed) == b'{"filename": "loi.pdf"}'
    with pytest.raises(IntegrityError):
        open_metadata(dek, uuid.uuid4(), sealed)
    with pytest.raises(IntegrityError):
        open_metadata(new_dek(), version, sealed)
