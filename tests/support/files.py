"""Small real files of every accepted type, made in memory with the standard library."""

from __future__ import annotations

import io
import zipfile


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def docx(macro: bool = False) -> bytes:
    entries = [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]
    if macro:
        entries.append(("word/vbaProject.bin", b"\x00" * 16))
    return _zip(entries)


def xlsx() -> bytes:
    return _zip([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])


def odf(kind: str) -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{kind}".encode()
    return _zip([("mimetype", mimetype), ("content.xml", b"<office:document-content/>")],
                stored_first=True)


def rtf() -> bytes:
    return b"{\\rtf1\\ansi Freezing orders under article 93(1)(k).}"


def txt() -> bytes:
    return "Procédure de gel des avoirs : autorité centrale, délais, urgence.\n".encode()


ACCEPTED = {
    "pdf": pdf, "docx": docx, "xlsx": xlsx, "odt": lambda: odf("text"),
    "ods": lambda: odf("spreadsheet"), "rtf": rtf, "txt": txt,
}
