"""What a file is, decided from its bytes as they stream in (never from its name).

Allowed: PDF, DOCX, XLSX, ODT, ODS, TXT (UTF-8 text), RTF. Refused: everything else,
including HTML, SVG, executables, RTF with embedded objects and Office files with macros.
Text is accepted only when it is UTF-8 in which no browser would see markup anywhere: any
"<" followed by a letter, "!", "?" or "/" refuses it (HTML after a comment, SVG after a
prologue, HTA, a tag deep in the file). Zip packages are decided by packages.inspect() once
the whole file is in. A text script (.bat, .ps1, .js) is plain text: it is stored and served
as text/plain under a .txt name, never under its own extension.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from coop_platform.core.exceptions import ValidationFailed

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain; charset=utf-8",
    "rtf": "application/rtf",
}
_HEAD = 4096
_TEXT_REFUSED_STARTS = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"#!", b"<head",
                        b"<body", b"<iframe")
_MARKUP = re.compile(rb"<[A-Za-z!?/]")
# RTF control words that embed objects or run-time data (OLE objects carry executables).
_RTF_OBJECTS = re.compile(rb"\\(?:object|objdata|objemb|objlink|objautlink|objocx|result)"
                          rb"(?![a-z])")
EXTENSIONS = {"application/pdf": "pdf", "application/rtf": "rtf", "text/plain": "txt",
              **{v: k for k, v in CONTENT_TYPES.items() if k not in ("pdf", "rtf", "txt")}}


def extension_for(content_type: str) -> str:
    """The file extension a download gets: the sniffed type's, never the uploaded name's."""
    return EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), "bin")


def refused(message=None) -> ValidationFailed:
    return ValidationFailed(message or _l(
        "This kind of file is not accepted. Upload a PDF, Word (DOCX), Excel (XLSX), "
        "OpenDocument (ODT, ODS), RTF or plain-text file."), field="file")


@dataclass
class Verdict:
    kind: str
    content_type: str


class Sniffer:
    """Feed every chunk; ask `verdict()` at the end. Refuses as early as it can."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.family: str | None = None
        self._tail = b""
        self._seen: set[str] = set()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.size = 0

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        undecided = bytes(self.head) if self.family is None else b""
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        if self.family is None:
            if len(self.head) < 8:
                return  # too little to tell yet; kept in `head`
            self.family = self._family()
            data = undecided + data  # what arrived before the decision is checked too
        self._check(data)

    def _check(self, data: bytes) -> None:
        if self.family == "zip":
            window = self._tail + data
            for marker in (b"vbaProject.bin",):
                if marker in window:
                    self._seen.add(marker.decode())
            self._tail = window[-64:]
        elif self.family == "rtf":
            window = self._tail + data
            if _RTF_OBJECTS.search(window):
                raise refused(_l("RTF files with embedded objects are not accepted. Save the "
                                 "file as PDF or DOCX and upload it again."))
            self._tail = window[-16:]
        elif self.family == "txt":
            window = self._tail + data
            if b"\x00" in data or _MARKUP.search(window):
                raise refused()
            self._tail = window[-1:]
            try:
                self._utf8.decode(data)
            except UnicodeDecodeError as exc:
                raise refused(_l("This text file is not in UTF-8. Save it as UTF-8, or as PDF, "
                                 "and upload it again.")) from exc

    def _family(self) -> str:
        head = bytes(self.head)
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"{\\rtf"):
            return "rtf"
        if head.startswith(b"PK\x03\x04"):
            return "zip"
        lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if lowered.startswith(_TEXT_REFUSED_STARTS) or head.startswith((b"MZ", b"\x7fELF")):
            raise refused()
        return "txt"

    def verdict(self) -> Verdict:
        if self.size == 0:
            raise refused(_l("The file is empty."))
        if self.family is None:  # fewer than 8 bytes in all
            self.family = self._family()
            self._check(bytes(self.head))
        kind = self.family
        if kind == "txt":
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise refused() from exc
        elif kind == "zip":
            if "vbaProject.bin" in self._seen:
                raise refused(_l("Office files with macros are not accepted. Save the file "
                                 "without macros and upload it again."))
            # The package's kind is decided from its structure, once it is whole.
            return Verdict("zip", "")
        return Verdict(kind, CONTENT_TYPES[kind])
