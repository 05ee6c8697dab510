"""What a supporting document really is, judged from its content and never from its name.

`sniff_document` reads the upload's first bytes (and, for zip containers, the names of the files inside)
and returns the allowed kind it is, or raises ApplicationError with a message a council officer understands.
Office files are zip containers, so a zip's inner markers decide between DOCX, XLSX, ODT and ODS; a CSV is
text that no binary signature matches, in an encoding spreadsheet apps save CSV in (`csv_text`): UTF-8 (with or
without a byte order mark), UTF-16 with a byte order mark, or Windows-1252.

`document_check` adds what the stored document needs: a file name cleaned of control and bidi-override
characters (U+202E makes "report\u202eexe.pdf" look like "reportfdp.exe"), office containers opened in full
within bounds (at most 100 MB uncompressed and 100 times the file's size, so a 200 KB file cannot expand to
200 MB), and formulas:

- a CSV file is refused if any cell is a formula (starts with = or @ or a tab, or with + or - and is not a plain
  number or telephone number):
  CSV has no real formulas, so one there is only a way to run something in the reader's spreadsheet app;
- an XLSX or ODS spreadsheet may hold formulas (budgets need them) and is marked so, and every page that
  offers it says so; one with macros, external links or DDE (formulas that reach other files or programs) is
  refused, as is any office file with macros.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
import unicodedata
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
ODS = DocumentKind("ods", "application/vnd.oasis.opendocument.spreadsheet", "ODS")
CSV = DocumentKind("csv", "text/csv", "CSV")

ALLOWED_KINDS = (PDF, ODT, ODS, DOCX, XLSX, CSV, PNG, JPEG)
SPREADSHEETS = frozenset({XLSX, ODS, CSV})
# File name endings people use for each kind.
EXTENSIONS = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "docx": DOCX,
    "xlsx": XLSX,
    "odt": ODT,
    "ods": ODS,
    "csv": CSV,
}
ALLOWED_LABEL = "PDF, ODT, ODS, DOCX, XLSX, CSV, PNG or JPEG"
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in EXTENSIONS)

# Enough for every binary signature filetype knows; a CSV is checked in full (it is at most 10 MB).
HEAD_BYTES = 8192
# A zip with more entries than this is not an ordinary office document (and may be a zip bomb).
MAX_ZIP_ENTRIES = 5000
# An office file opened in full may hold at most this much, and — past a floor any document may reach — at most
# this many times its own size: ordinary documents are XML compressed about 5–20 times, images hardly at all.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_FLOOR_BYTES = 10 * 1024 * 1024


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
                if "content.xml" in names:
                    return {ODT.content_type: ODT, ODS.content_type: ODS}.get(declared)
            return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    finally:
        stream.seek(0)


# Control characters no text a spreadsheet app saves holds (tab, line feed and carriage return are the only ones).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CSV_AS_TEXT = (
    "The selected file cannot be read as text. Save it from your spreadsheet app as ‘CSV UTF-8’ and upload it "
    "again, or upload the spreadsheet as XLSX or ODS"
)


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def csv_text(stream: IO[bytes]) -> str | None:
    """The upload's text, in any encoding spreadsheet apps save CSV files in, or None if it is not such text.

    Excel for Windows saves "CSV UTF-8" in UTF-8 with a byte order mark, "CSV (Comma delimited)" in Windows-1252
    and "Unicode Text" in UTF-16 with a byte order mark; other apps save UTF-8. A byte order mark says which; without
    one, text that reads as UTF-8 is UTF-8, and anything else is read as Windows-1252 — which gives a character for
    almost any byte, so there the text must also hold no control characters, as binary data would."""
    stream.seek(0)
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    stream.seek(0)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decoded(data, "utf-16")
        plausible = text is not None and not _CONTROL_CHARACTERS.search(text)
    else:
        text = _decoded(data, "utf-8-sig")
        plausible = text is not None and "\x00" not in text
        if text is None:
            text = _decoded(data, "cp1252")
            plausible = text is not None and not _CONTROL_CHARACTERS.search(text)
    return text if plausible else None


def sniff_document(*, name: str, size: int, stream: IO[bytes]) -> DocumentKind:
    """The allowed kind of this upload, or ApplicationError saying why it is refused."""
    if size == 0:
        raise _refuse("The selected file is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise _refuse(f"The selected file must be {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB or smaller")
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
        kind = CSV if csv_text(stream) is not None else None
        if kind is None and named_kind == CSV:
            raise _refuse(CSV_AS_TEXT)
    elif guessed.extension == "pdf":
        kind = PDF
    elif guessed.extension == "png":
        kind = PNG
    elif guessed.extension == "jpg":
        kind = JPEG
    elif guessed.extension in {"zip", "docx", "xlsx", "odt", "ods"}:
        # filetype's own office checks look only at the first entry; the zip's contents decide.
        kind = _zip_kind(stream)
    else:
        kind = None

    if kind is None:
        raise _refuse(
            f"The selected file is not really {named_kind.a_label}: its content is not a {ALLOWED_LABEL} file"
        )
    if kind == CSV and named_kind != CSV:
        # Text with no signature reads as a CSV to this check, but a person named it otherwise: say what it is.
        raise _refuse(
            f"The selected file’s name ends in .{extension} but it contains plain text, not {named_kind.a_label}. "
            f"Choose the {named_kind.label} file itself, or a CSV file ending in .csv"
        )
    if kind != named_kind:
        raise _refuse(
            f"The selected file’s name ends in .{extension} but it contains {kind.a_label}. "
            f"Rename it to end in .{kind.extension} or choose another file"
        )
    return kind


# --- The stored document: its name, its container opened within bounds, its formulas -----------------------------


@dataclass(frozen=True)
class CheckedDocument:
    kind: DocumentKind
    name: str  # cleaned, for showing and for the download's file name
    has_formulas: bool


def clean_file_name(name: str) -> str:
    """The name as people should see it: no folders, no control or format characters (bidi overrides such as
    U+202E, zero-width characters), spaces collapsed, at most 255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", PurePath(name.replace("\\", "/")).name)
    name = "".join(" " if char.isspace() else char for char in name)
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf", "Co", "Cs", "Cn"})
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem.strip(". ") or "document"
    extension = extension.strip()[:10]
    return f"{stem[: 254 - len(extension)]}.{extension}" if extension else stem[:255]


def _open_within_bounds(stream: IO[bytes], size: int, kind: DocumentKind) -> zipfile.ZipFile:
    """The office container, every part read once (CRCs checked), refused if it would expand past the bounds.
    zipfile never returns more than an entry's declared size, so the declared total bounds the work done."""
    stream.seek(0)
    archive = zipfile.ZipFile(stream)
    declared = sum(info.file_size for info in archive.infolist())
    megabytes = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
    expands = f"The selected file would expand to {declared // (1024 * 1024):,} MB when opened"
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _refuse(f"{expands}, and {kind.a_label} must expand to less than {megabytes} MB")
    if declared > max(RATIO_FLOOR_BYTES, size * MAX_COMPRESSION_RATIO):
        raise _refuse(
            f"{expands}, {declared // max(size, 1):,} times its size. No ordinary document is compressed that much: "
            f"{kind.a_label} must expand to less than {MAX_COMPRESSION_RATIO} times its size"
        )
    try:
        broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
        raise _refuse(f"The selected file is damaged: it is not a complete {kind.label} file") from error
    if broken is not None:
        raise _refuse(f"The selected file is damaged: it is not a complete {kind.label} file")
    return archive


# VBA projects (Office), and Basic modules or scripts (OpenDocument; the Basic/ folder's two index files are
# written even without macros).
_MACRO_PARTS = re.compile(
    r"(^|/)vbaProject\.bin$|(^|/)vbaProjectSignature\.bin$|(^|/)vbaData\.xml$|^Scripts/.+|"
    r"^Basic/(?!script-l[cb]\.xml$).+",
    re.IGNORECASE,
)
_XLSX_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_XLSX_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?>(.*?)</(?:\w+:)?f>", re.DOTALL)
_ODS_FORMULA = re.compile(rb"table:formula\s*=")
_ODS_FORMULA_TEXT = re.compile(rb"table:formula\s*=\s*\"([^\"]*)\"")
# What a formula may not do, read outside its string literals: run a program (DDE: `cmd|' /C calc'!A0`), read
# another workbook (`[1]Sheet1!A1`, `'C:\dir\[book.xlsx]Sheet1'!A1`, ODS `'file:///…'#$Sheet1.A1`), or call out
# to the network or to code (WEBSERVICE, RTD, CALL, REGISTER, SQL.REQUEST, DDE).
_FORMULA_STRING = re.compile(r'"(?:[^"]|"")*"')
_FORMULA_CALLS_OUT = re.compile(
    r"(?<![\w.])(?:_xlfn\.)?(?:WEBSERVICE|RTD|CALL|REGISTER(?:\.ID)?|SQL\.REQUEST|DDE|DDEAUTO)\s*\(", re.IGNORECASE
)
_FORMULA_OTHER_BOOK = re.compile(r"\[[^\[\]]+\][\w .\-]*'?!")
_FORMULA_OTHER_FILE = re.compile(r"'(?:file|https?|ftp|smb):", re.IGNORECASE)


def formula_reaches_out(formula: str) -> bool:
    """Whether a spreadsheet formula reaches outside its workbook: a program (DDE), another file, or the network."""
    bare = _FORMULA_STRING.sub('""', formula)
    return (
        "|" in bare
        or _FORMULA_CALLS_OUT.search(bare) is not None
        or _FORMULA_OTHER_BOOK.search(bare) is not None
        or _FORMULA_OTHER_FILE.search(bare) is not None
    )


_ODS_EXTERNAL = re.compile(rb"table:dde-source|office:dde-source|table:table-source|table:dde-link|office:dde")


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as part:
        return part.read(MAX_UNCOMPRESSED_BYTES + 1)


def _office_formulas(archive: zipfile.ZipFile, kind: DocumentKind) -> bool:
    """Whether the office file holds formulas; refuses macros, external links and DDE."""
    names = [info.filename for info in archive.infolist()]
    if any(_MACRO_PARTS.search(name) for name in names):
        raise _refuse(
            f"The selected file contains macros, which cannot be uploaded. Save it as an ordinary {kind.label} "
            "file without macros and try again"
        )
    external = "The spreadsheet links to other files or programs (external links or DDE), which cannot be "
    external += "uploaded. Remove the links, keeping the values, and try again"
    if kind == XLSX:
        if any(name.startswith("xl/externalLinks/") for name in names):
            raise _refuse(external)
        sheets = [name for name in names if name.startswith("xl/") and name.endswith(".xml")]
        has_formulas = False
        for name in sheets:
            part = _read_part(archive, name)
            if name.startswith(("xl/worksheets/", "xl/chartsheets/")) and _XLSX_FORMULA.search(part):
                has_formulas = True
            formulas = _XLSX_FORMULA_TEXT.findall(part)
            if name == "xl/workbook.xml":  # defined names are formulas too
                formulas += re.findall(rb"<(?:\w+:)?definedName\b[^>]*>(.*?)</(?:\w+:)?definedName>", part, re.DOTALL)
            if any(formula_reaches_out(html.unescape(f.decode("utf-8", "replace"))) for f in formulas):
                raise _refuse(external)
        return has_formulas
    if kind == ODS:
        content = _read_part(archive, "content.xml")
        formulas = _ODS_FORMULA_TEXT.findall(content)
        if _ODS_EXTERNAL.search(content) or any(
            formula_reaches_out(html.unescape(f.decode("utf-8", "replace"))) for f in formulas
        ):
            raise _refuse(external)
        return _ODS_FORMULA.search(content) is not None
    return False


# A number or a telephone number, like -250, -1,000.50, +44 (0)117 922 2000: signed, but not a formula.
_SIGNED_NUMBER = re.compile(r"[+-][0-9 .,()%]+")


def _csv_formula_cell(text: str) -> tuple[int, str] | None:
    """The first cell a spreadsheet app would run as a formula: (row number, its first character)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    # newline="": a row may end in CR, LF or CRLF (spreadsheet apps write each), and a quoted cell may hold any.
    rows = enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1)
    row_number = 0
    try:
        for row_number, row in rows:
            for cell in row:
                stripped = cell.lstrip(" ")
                if not stripped:
                    continue
                first = stripped[0]
                if first in "=@\t\r" or (first in "+-" and not _SIGNED_NUMBER.fullmatch(stripped)):
                    return row_number, {"\t": "a tab", "\r": "a carriage return"}.get(first, first)
    except csv.Error as error:  # a cell longer than the csv module reads (128 KiB), a stray quote or NUL
        raise _refuse(
            f"Row {row_number + 1} of the CSV file cannot be read ({error}). Save it again from your spreadsheet "
            "app as ‘CSV UTF-8’, or upload the spreadsheet as XLSX or ODS"
        ) from error
    return None


def document_check(*, name: str, size: int, stream: IO[bytes]) -> CheckedDocument:
    """Everything about an upload before it is stored: its real kind, its cleaned name, its container opened
    within bounds, and its formulas. ApplicationError saying why, otherwise."""
    cleaned = clean_file_name(name)
    kind = sniff_document(name=cleaned, size=size, stream=stream)
    has_formulas = False
    if kind in (DOCX, XLSX, ODT, ODS):
        try:
            with _open_within_bounds(stream, size, kind) as archive:
                has_formulas = _office_formulas(archive, kind)
        finally:
            stream.seek(0)
    elif kind == CSV:
        text = csv_text(stream)
        if text is None:  # sniff_document has read it as text already
            raise _refuse(CSV_AS_TEXT)
        cell = _csv_formula_cell(text)
        if cell is not None:
            row, first = cell
            raise _refuse(
                f"Row {row} of the CSV file has a formula (a cell starting with {first}). A CSV file cannot "
                "contain formulas: remove them, keeping the values, or upload the spreadsheet as XLSX or ODS"
            )
    return CheckedDocument(kind=kind, name=cleaned, has_formulas=has_formulas)
