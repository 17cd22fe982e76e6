"""Office Open XML (DOCX, XLSX) and OpenDocument (ODT, ODS) packages, judged by their
structure once the whole file is in: content types, relationships, manifest, and the first
bytes of every member.

The package is read the way Office and LibreOffice read it, through the zip central directory
(`zipfile`), from the encrypted blob via a reader that decrypts one segment at a time: nothing
is written in plaintext and memory stays small. What is refused, whatever the names inside:
- VBA projects (any name: `word/macros.bin` is found by its content type, its relationship and
  its OLE signature), macro-enabled or binary main parts, ActiveX controls;
- OLE objects of any kind (an embedded executable travels in an OLE package object) and any
  member that is an OLE compound file or a Windows executable;
- relationships to outside resources other than hyperlinks (remote template injection);
- OpenDocument Basic or script libraries, script event bindings, encrypted packages.

oletools (olevba) was considered: it needs the whole file in memory or on disk in plaintext,
and answers a narrower question (is there VBA?). Refusing every OLE container is stricter and
stays within the upload's memory and no-plaintext rules.
"""

from __future__ import annotations

import posixpath
import zipfile
from typing import BinaryIO
from xml.etree import ElementTree

from defusedxml import ElementTree as DefusedElementTree
from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import ValidationFailed

MAX_MEMBERS = 10_000
MAX_XML_PART = 8 * 1024 * 1024  # a content-types, relationships or manifest part
SCAN_BUDGET = 256 * 1024 * 1024  # decompressed bytes scanned for ODF script bindings
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
# Substrings of content types and relationship types that are never accepted.
REFUSED_TYPES = ("vbaproject", "vbadata", "macroenabled", "activex", "oleobject", "binary",
                 "msdownload", "x-msdos", "x-ms-installer", "attachedtemplate")
ODF_KINDS = {"application/vnd.oasis.opendocument.text": "odt",
             "application/vnd.oasis.opendocument.spreadsheet": "ods"}
ODF_REFUSED_DIRS = ("basic/", "scripts/", "dialogs/")
ODF_REFUSED_MEDIA = ("script", "basic", "oleobject", "x-msdos", "msdownload")
ODF_SCRIPT_MARKERS = (b"vnd.sun.star.script:", b"script:event-listener", b"macro:///",
                      b"vnd.sun.star.basic")
RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
HYPERLINK = "relationships/hyperlink"


def refused(message=None) -> ValidationFailed:
    return ValidationFailed(message or _l(
        "This file contains macros, embedded objects or links to outside content, which are "
        "not accepted. Save it as a plain document (DOCX, XLSX, ODT, ODS or PDF) without them "
        "and upload it again."), field="file")


def unreadable() -> ValidationFailed:
    return ValidationFailed(_l("This file could not be read as a document. Save it again as "
                               "DOCX, XLSX, ODT, ODS or PDF and upload it again."), field="file")


def inspect(plaintext: BinaryIO) -> str:
    """The package's kind ("docx", "xlsx", "odt", "ods"), or ValidationFailed saying why not."""
    try:
        with zipfile.ZipFile(plaintext) as package:
            infos = package.infolist()
            if not infos or len(infos) > MAX_MEMBERS:
                raise unreadable()
            names = {i.filename for i in infos}
            for info in infos:
                if info.flag_bits & 0x1:
                    raise refused(_l("Encrypted or password-protected files are not "
                                     "accepted."))
                _check_first_bytes(package, info)
            if "mimetype" in names:
                return _odf(package, names)
            if "[Content_Types].xml" in names:
                return _ooxml(package, names)
            raise unreadable()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
            ElementTree.ParseError, KeyError, ValueError, RuntimeError) as exc:
        raise unreadable() from exc


def _check_first_bytes(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if info.is_dir():
        return
    with package.open(info) as member:
        head = member.read(len(OLE_MAGIC))
    if head.startswith(OLE_MAGIC) or head.startswith(b"MZ"):
        raise refused()


def _xml(package: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = package.getinfo(name)
    if info.file_size > MAX_XML_PART:
        raise unreadable()
    with package.open(info) as member:
        data = member.read(MAX_XML_PART + 1)
    if len(data) > MAX_XML_PART:
        raise unreadable()
    # No DTD in a package part: no entity expansion, no external resource (defusedxml).
    return DefusedElementTree.fromstring(data, forbid_dtd=True)


def _refused_type(value: str) -> bool:
    lowered = value.lower()
    return any(marker in lowered for marker in REFUSED_TYPES)


def _ooxml(package: zipfile.ZipFile, names: set[str]) -> str:
    types = _xml(package, "[Content_Types].xml")
    defaults, overrides = {}, {}
    for element in types:
        content_type = element.get("ContentType", "")
        if _refused_type(content_type):
            raise refused()
        if element.tag == CT_NS + "Default":
            defaults[element.get("Extension", "").lower()] = content_type
        elif element.tag == CT_NS + "Override":
            overrides[element.get("PartName", "").lstrip("/")] = content_type

    main = None
    for rels in sorted(n for n in names if n.endswith(".rels")):
        base = posixpath.dirname(posixpath.dirname(rels))  # "word/_rels/x.rels" -> "word"
        for relationship in _xml(package, rels):
            if relationship.tag != RELS_NS + "Relationship":
                continue
            relation = relationship.get("Type", "")
            # An embedded workbook (a chart's data) is a "package" relationship: allowed; a
            # macro-enabled one declares a macroEnabled content type, refused above.
            if _refused_type(relation):
                raise refused()
            external = relationship.get("TargetMode", "").lower() == "external"
            if external and not relation.lower().endswith(HYPERLINK):
                raise refused()
            if rels == "_rels/.rels" and relation.endswith("/officeDocument") and not external:
                target = relationship.get("Target", "")
                main = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                          else posixpath.join(base, target))
    if main is None or main not in names:
        raise unreadable()
    content_type = overrides.get(main) or defaults.get(main.rsplit(".", 1)[-1].lower(), "")
    kind = MAIN_TYPES.get(content_type)
    if kind is None:
        raise refused()
    return kind


def _odf(package: zipfile.ZipFile, names: set[str]) -> str:
    with package.open("mimetype") as member:
        mimetype = member.read(200).decode("ascii", "replace").strip()
    kind = ODF_KINDS.get(mimetype)
    if kind is None:
        raise unreadable()
    if any(n.lower().startswith(ODF_REFUSED_DIRS) for n in names):
        raise refused()
    if "META-INF/manifest.xml" not in names:
        raise unreadable()
    for entry in _xml(package, "META-INF/manifest.xml").iter(MANIFEST_NS + "file-entry"):
        path = (entry.get(MANIFEST_NS + "full-path") or "").lower()
        media = (entry.get(MANIFEST_NS + "media-type") or "").lower()
        if path.startswith(ODF_REFUSED_DIRS) or any(m in media for m in ODF_REFUSED_MEDIA):
            raise refused()
        if entry.find(MANIFEST_NS + "encryption-data") is not None:
            raise refused(_l("Encrypted or password-protected files are not accepted."))
    budget = SCAN_BUDGET
    for name in sorted(n for n in names if n.endswith(".xml")):
        budget = _scan_for_scripts(package, name, budget)
    return kind


def _scan_for_scripts(package: zipfile.ZipFile, name: str, budget: int) -> int:
    tail = b""
    keep = max(len(m) for m in ODF_SCRIPT_MARKERS)
    with package.open(name) as member:
        while chunk := member.read(64 * 1024):
            budget -= len(chunk)
            if budget < 0:
                raise unreadable()
            window = (tail + chunk).lower()
            if any(marker in window for marker in ODF_SCRIPT_MARKERS):
                raise refused()
            tail = window[-keep:]
    return budget
