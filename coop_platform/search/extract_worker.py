"""Reads one file on a pipe and writes its text to stdout, in a process of its own.

Run only by `extraction.extract_text`, which starts it with limits on memory and CPU time
and kills it at its deadline: a hostile PDF can exhaust this process, never a worker. It
never writes to disk. Usage: python -I extract_worker.py FORMAT FD LIMIT
"""

from __future__ import annotations

import io
import os
import sys


def _pdf(data: bytes, limit: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    parts, size = [], 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > limit:
            break
    return "\n".join(parts)


def _docx(data: bytes, limit: int) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _odt(data: bytes, limit: int) -> str:
    from odf import teletype, text
    from odf.opendocument import load

    document = load(io.BytesIO(data))
    parts = [teletype.extractText(node)
             for kind in (text.H, text.P) for node in document.getElementsByType(kind)]
    return "\n".join(parts)


def _rtf(data: bytes, limit: int) -> str:
    from striprtf.striprtf import rtf_to_text

    return rtf_to_text(data.decode("cp1252", errors="replace"), errors="ignore")


def _txt(data: bytes, limit: int) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


READERS = {"pdf": _pdf, "docx": _docx, "odt": _odt, "rtf": _rtf, "txt": _txt}


def main() -> int:
    fmt, fd, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with os.fdopen(fd, "rb") as source:
        data = source.read()
    text = READERS[fmt](data, limit)
    sys.stdout.buffer.write(text[:limit].encode("utf-8", errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
