from __future__ import annotations

import os
import time

import pytest

from coop_platform.core.exceptions import ValidationFailed
from coop_platform.documents.sniff import Sniffer
from coop_platform.documents.storage import LocalBlobStore
from tests.support import files


def sniff(data: bytes, chunk: int = 3):
    s = Sniffer()
    for i in range(0, len(data), chunk):
        s.feed(data[i : i + chunk])
    return s.verdict()


@pytest.mark.parametrize("kind", ["pdf", "rtf", "txt"])
@pytest.mark.parametrize("chunk", [1, 7, 65536])
def test_flat_types_are_recognised_by_content(kind, chunk):
    assert sniff(files.ACCEPTED[kind](), chunk).kind == kind


@pytest.mark.parametrize("kind", ["docx", "xlsx", "odt", "ods"])
def test_packages_are_left_to_the_package_check(kind):
    assert sniff(files.ACCEPTED[kind](), 7).kind == "zip"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",  # Windows executable
        b"\x7fELF\x02\x01\x01\x00",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"  <svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
        b"\xff\xd8\xff\xe0 JFIF image bytes",
        b"{\\rtf1 {\\object\\objemb{\\*\\objdata 0105000002000000}}}",
        files.docx(macro=True),
        *files.HOSTILE_TEXT.values(),
    ],
)
@pytest.mark.parametrize("chunk", [1, 5, 65536])
def test_refused_content(data, chunk):
    with pytest.raises(ValidationFailed):
        sniff(data, chunk)


@pytest.mark.parametrize("text", [b"If the value is < 5, or 1<2, or <= 10: accepted.",
                                  b"Fees: <100 EUR; delays of <3 months.",
                                  files.LEGAL_TEXT.encode(), *files.TEXT_SCRIPTS.values()])
def test_plain_text_with_angle_brackets_but_no_markup_is_text(text):
    assert sniff(text, 4).kind == "txt"


def test_store_commit_discard_and_stale_cleanup(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    pending = store.create()
    pending.write(b"abc")
    name = store.new_name()
    pending.commit(name)
    with store.open(name) as fh:
        assert fh.read() == b"abc"
    assert list(store.names()) == [name]
    assert store.path_for(name).parent.parent.parent == tmp_path / "blobs"
    dropped = store.create()
    dropped.write(b"x")
    dropped.discard()
    stale = store.tmp / "left-by-a-crashed-worker.part"  # nobody will commit or discard it
    stale.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = store.create()  # an upload still in progress is left alone
    assert store.remove_stale_temporaries(3600) == 1
    assert list(store.tmp.iterdir()) == [fresh.path]
    fresh.discard()
    assert list(store.tmp.iterdir()) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 32, "abc", "0" * 31 + "/"])
def test_store_refuses_names_that_are_not_its_own(tmp_path, name):
    with pytest.raises(ValueError, match="invalid blob name"):
        LocalBlobStore(tmp_path).path_for(name)
