"""The age archive of a backup: what it lets out when opened. A member named to escape the
folder, a link, or a name the backup does not use refuses the whole archive, and nothing is
written outside the folder."""

from __future__ import annotations

import io
import tarfile

import pyrage
import pytest

from coop_platform.crypto import archives
from coop_platform.ops.backup import is_backup_member


def age_tar(tmp_path, build) -> tuple[io.BytesIO, list]:
    """An age archive, made here with pyrage and tarfile alone, of what `build` adds."""
    identity = pyrage.x25519.Identity.generate()
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as tar:
        build(tar)
    return io.BytesIO(pyrage.encrypt(plain.getvalue(), [identity.to_public()])), [identity]


def add_file(tar, name: str, data: bytes = b"x") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("name", ["../escape", "/escape-from-backup", "blobs/../../escape",
                                  "blobs/a/../../escape", "notes.txt", "blobs/"])
def test_a_member_outside_the_backup_s_names_refuses_the_archive(tmp_path, name):
    folder = tmp_path / "opened"
    folder.mkdir()
    source, identities = age_tar(tmp_path, lambda tar: add_file(tar, name))
    with pytest.raises(archives.ArchiveError, match="unexpected entry"):
        archives.open_into(source, identities, folder, is_backup_member)
    assert not (tmp_path / "escape").exists()
    assert list(folder.rglob("*")) == []


def test_a_link_or_a_repeated_member_refuses_the_archive(tmp_path):
    def link(tar):
        info = tarfile.TarInfo("manifest.json")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)

    def twice(tar):
        add_file(tar, "manifest.json", b"{}")
        add_file(tar, "manifest.json", b"{}")

    for build in (link, twice):
        folder = tmp_path / build.__name__
        folder.mkdir()
        source, identities = age_tar(tmp_path, build)
        with pytest.raises(archives.ArchiveError, match="unexpected entry"):
            archives.open_into(source, identities, folder, is_backup_member)


def test_the_backup_s_own_names_open(tmp_path):
    names = ["manifest.json", "database.sqlite3", "blobs/" + "ab" * 16]

    def build(tar):
        for name in names:
            add_file(tar, name, name.encode())

    folder = tmp_path / "opened"
    folder.mkdir()
    source, identities = age_tar(tmp_path, build)
    digests = archives.open_into(source, identities, folder, is_backup_member)
    assert sorted(digests) == sorted(names)
    assert all((folder / name).read_bytes() == name.encode() for name in names)
