"""Office files built in memory for upload tests: the smallest containers the document checks read."""

from __future__ import annotations

import io
import zipfile


def zipped(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx(**extra: bytes) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", **extra})


def xlsx(sheet: bytes = b"<worksheet><sheetData/></worksheet>", **extra: bytes) -> bytes:
    return zipped(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet}
        | extra
    )


def xlsx_with_formula(formula: str) -> bytes:
    """A workbook whose one cell holds `formula` (XML-escaped as Excel writes it)."""
    return xlsx(f'<worksheet><sheetData><row><c r="A1"><f>{formula}</f></c></row></sheetData></worksheet>'.encode())


def ods(content: bytes = b"<office:document-content/>", **extra: bytes) -> bytes:
    return zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": content} | extra)
