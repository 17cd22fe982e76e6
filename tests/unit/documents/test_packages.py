"""Packages judged by their structure, read back through decryption as the upload does."""

from __future__ import annotations

import io
import uuid

import pytest

from coop_platform.core.exceptions import ValidationFailed
from coop_platform.crypto.documents import (
    SEGMENT_SIZE,
    IntegrityError,
    RandomAccessPlaintext,
    SegmentEncryptor,
    new_dek,
)
from coop_platform.documents import packages
from tests.support import files


def encrypted(data: bytes):
    dek, vid = new_dek(), uuid.uuid4()
    blob = io.BytesIO()
    encryptor = SegmentEncryptor(blob, dek, vid, "document-1")
    encryptor.write(data)
    encryptor.finish()
    blob.seek(0)
    return blob, dek, vid


def inspect(data: bytes) -> str:
    blob, dek, vid = encrypted(data)
    return packages.inspect(io.BufferedReader(RandomAccessPlaintext(blob, dek, vid)))


@pytest.mark.parametrize(("kind", "data"), [
    ("docx", files.docx()), ("xlsx", files.xlsx()), ("odt", files.odf("text")),
    ("ods", files.odf("spreadsheet")), *[("docx", d) for d in files.ACCEPTED_PACKAGES.values()],
])
def test_real_packages_are_accepted_with_their_kind(kind, data):
    assert inspect(data) == kind


@pytest.mark.parametrize("name", sorted(files.HOSTILE_PACKAGES))
def test_hostile_packages_are_refused(name):
    with pytest.raises(ValidationFailed):
        inspect(files.HOSTILE_PACKAGES[name])


@pytest.mark.parametrize("size", [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1,
                                  3 * SEGMENT_SIZE + 17])
def test_random_access_reads_back_the_plaintext_at_every_offset(size):
    data = bytes(i % 251 for i in range(size))
    blob, dek, vid = encrypted(data)
    reader = RandomAccessPlaintext(blob, dek, vid)
    assert reader.size == size
    assert reader.read() == data
    for offset in {0, size // 2, max(size - 3, 0)}:
        reader.seek(offset)
        assert reader.read(5) == data[offset:offset + 5]


def test_random_access_refuses_a_tampered_segment():
    blob, dek, vid = encrypted(b"x" * (2 * SEGMENT_SIZE))
    raw = bytearray(blob.getvalue())
    raw[-40] ^= 1
    reader = RandomAccessPlaintext(io.BytesIO(bytes(raw)), dek, vid)
    with pytest.raises(IntegrityError):
        reader.read()


def test_a_package_part_with_an_entity_bomb_is_refused_quickly():
    bomb = ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">'
                      for i in range(8))
            + ']><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + "&i;</Types>").encode()
    data = files._zip([("[Content_Types].xml", bomb), ("_rels/.rels", b"<x/>")])
    with pytest.raises(ValidationFailed):
        inspect(data)
