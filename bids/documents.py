"""What a supporting document really is, judged from its content and never from its name.

`sniff_document` reads the upload's first bytes (and, for zip containers, the names of the files inside)
and returns the allowed kind it is, or raises ApplicationError with a message a council officer understands.
Office files are zip containers, so a zip's inner markers decide between DOCX, XLSX and ODT; a CSV is
plain UTF-8 text with no NUL bytes that no binary signature matches.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import filetype

from bids.models import MAX_DOCUMENT_BYTES
from core.exceptions import ApplicationError


@dataclass(frozen=True)
class DocumentKind:
    extension: str
    content_type: str
    label: str

    @property
    def a_label(self) -> str:
        # Letters said aloud: "an ODT", "an XLSX", "a PDF".
        return f"{'an' if self.label[0] in 'AEFHILMNORSX' else 'a'} {self.label}"


PDF = DocumentKind("pdf", "application/pdf", "PDF")
PNG = DocumentKind("png", "image/png", "PNG")
JPEG = DocumentKind("jpg", "image/jpeg", "JPEG")
DOCX = DocumentKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "DOCX")
XLSX = DocumentKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")
ODT = DocumentKind("odt", "application/vnd.oasis.opendocument.text", "ODT")
CSV = DocumentKind("csv", "text/csv", "CSV")

ALLOWED_KINDS = (PDF, ODT, DOCX, XLSX, CSV, PNG, JPEG)
# File name endings people use for each kind.
EXTENSIONS = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "docx": DOCX,
    "xlsx": XLSX,
    "odt": ODT,
    "csv": CSV,
}
ALLOWED_LABEL = "PDF, ODT, DOCX, XLSX, CSV, PNG or JPEG"
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in EXTENSIONS)

# Enough for every binary signature filetype knows; a CSV is checked in full (it is at most 10 MB).
HEAD_BYTES = 8192
# A zip with more entries than this is not an ordinary office document (and may be a zip bomb).
MAX_ZIP_ENTRIES = 5000


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message)


def _zip_kind(stream: IO[bytes]) -> DocumentKind | None:
    """DOCX, XLSX or ODT from the zip's inner markers; None for any other zip or a broken one."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return None
            names = {info.filename for info in infos}
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
                return None
            if "mimetype" in names:
                mimetype_info = archive.getinfo("mimetype")
                if mimetype_info.file_size > 200:
                    return None
                declared = archive.read("mimetype").decode("ascii", errors="replace").strip()
                if declared == ODT.content_type and "content.xml" in names:
                    return ODT
            return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    finally:
        stream.seek(0)


def _is_utf8_text(stream: IO[bytes]) -> bool:
    stream.seek(0)
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    stream.seek(0)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def sniff_document(*, name: str, size: int, stream: IO[bytes]) -> DocumentKind:
    """The allowed kind of this upload, or ApplicationError saying why it is refused."""
    if size == 0:
        raise _refuse("The selected file is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise _refuse(f"The selected file must be smaller than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")
    extension = PurePath(name).suffix.lower().lstrip(".")
    named_kind = EXTENSIONS.get(extension)
    if named_kind is None:
        raise _refuse(f"The selected file must be a {ALLOWED_LABEL}")

    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    guessed = filetype.guess(head)
    kind: DocumentKind | None
    if guessed is None:
        # No binary signature: the only allowed kind without one is CSV (plain text).
        kind = CSV if _is_utf8_text(stream) else None
    elif guessed.extension == "pdf":
        kind = PDF
    elif guessed.extension == "png":
        kind = PNG
    elif guessed.extension == "jpg":
        kind = JPEG
    elif guessed.extension in {"zip", "docx", "xlsx", "odt"}:
        # filetype's own office checks look only at the first entry; the zip's contents decide.
        kind = _zip_kind(stream)
    else:
        kind = None

    if kind is None:
        raise _refuse(
            f"The selected file is not really {named_kind.a_label}: its content is not a {ALLOWED_LABEL} file"
        )
    if kind != named_kind:
        raise _refuse(
            f"The selected file’s name ends in .{extension} but it contains {kind.a_label}. "
            f"Rename it to end in .{kind.extension} or choose another file"
        )
    return kind
