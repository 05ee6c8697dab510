"""Supporting documents: the type comes from the content, limits hold, refusals store nothing, and files are
served only to those who may see the bid, always as a download."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids import services
from bids.documents import sniff_document
from bids.models import MAX_DOCUMENT_BYTES, BidDocument
from core.exceptions import ApplicationError
from tests.factories import make_user
from tests.factories.documents import zipped

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 32
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<r/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"})
CSV = "council,amount\nBristol,£1\n".encode()
# Excel for Windows: "CSV (Comma delimited)" is Windows-1252, "CSV UTF-8" has a byte order mark, "Unicode Text"
# is UTF-16 with one (tab-separated).
BUDGET = "Item,Cost\r\nUser research,£12000\r\n"


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def documents_url(bid) -> str:
    return reverse("bids:documents", kwargs={"reference": bid.reference})


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("plan.pdf", PDF, "application/pdf"),
        ("photo.PNG", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("letter.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("budget.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("notes.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("data.csv", CSV, "text/csv"),
        ("budget.csv", BUDGET.encode("cp1252"), "text/csv"),
        ("budget.csv", BUDGET.encode("utf-8-sig"), "text/csv"),
        ("budget.csv", BUDGET.encode("utf-16"), "text/csv"),
        ("budget.csv", codecs.BOM_UTF16_BE + BUDGET.replace(",", "\t").encode("utf-16-be"), "text/csv"),
    ],
)
def test_each_allowed_type_is_accepted_and_stored_privately(
    draft, lead_user, client, private_media, name, content, content_type
):
    client.force_login(lead_user)
    response = client.post(documents_url(draft), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302
    document = BidDocument.objects.get()
    assert document.content_type == content_type
    assert document.original_name == name and document.size == len(content)
    path = Path(document.file.path)
    assert path.is_relative_to(private_media) and path.read_bytes() == content
    # The stored name is generated: nothing of the user's file name reaches the disk.
    assert Path(name).stem not in path.name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", EXE, "The selected file is not really a PDF"),
        ("setup.exe", EXE, "The selected file must be a PDF, ODT, ODS, DOCX, XLSX, CSV, PNG or JPEG"),
        ("letter.docx", zipped({"letter.txt": b"hello"}), "The selected file is not really a DOCX"),
        ("letter.docx", b"PK\x03\x04 not really a zip", "The selected file is not really a DOCX"),
        ("budget.xlsx", DOCX, "name ends in .xlsx but it contains a DOCX"),
        ("notes.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "not really an ODT"),
        ("data.csv", b"a,b\n\x00\x01", "The selected file cannot be read as text. Save it from your spreadsheet"),
        # Neither UTF-8 nor Windows-1252 (0x81 is no character there), or binary data that reads as Windows-1252.
        ("data.csv", b"Item,Cost\n\x81\x8d,1\n", "cannot be read as text. Save it from your spreadsheet app as"),
        ("data.csv", b"Item,Cost\n\x02\x9c\x1b,1\n", "Save it from your spreadsheet app as ‘CSV UTF-8’"),
        ("data.csv", codecs.BOM_UTF16_LE + b"\x00\xd8a\x00", "The selected file cannot be read as text"),
        ("data.csv", PDF, "name ends in .csv but it contains a PDF"),
        ("photo.png", JPEG, "name ends in .png but it contains a JPEG"),
        (
            "report.pdf",
            b"Just some notes typed in a text editor\n",
            "name ends in .pdf but it contains plain text, not a PDF",
        ),
        ("empty.pdf", b"", "The selected file is empty"),
    ],
)
def test_disguised_or_unsupported_files_are_refused_and_nothing_is_stored(
    draft, lead_user, client, private_media, name, content, message
):
    client.force_login(lead_user)
    response = client.post(documents_url(draft), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "There is a problem" in page and 'href="#id_file"' in page
    assert not BidDocument.objects.exists()
    assert stored_files(private_media) == []


def test_oversize_file_is_refused_and_nothing_is_stored(draft, lead_user, client, private_media):
    client.force_login(lead_user)
    big = PDF + b"0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF))
    response = client.post(documents_url(draft), {"file": SimpleUploadedFile("big.pdf", big)})
    assert response.status_code == 400
    assert "The selected file must be 10 MB or smaller" in response.content.decode()
    assert not BidDocument.objects.exists()
    assert stored_files(private_media) == []


def test_a_file_of_exactly_10_mb_is_accepted(draft, lead_user):
    exact = PDF + b"0" * (MAX_DOCUMENT_BYTES - len(PDF))
    services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile("exact.pdf", exact))
    assert BidDocument.objects.get().size == MAX_DOCUMENT_BYTES


def test_no_more_than_ten_documents_per_bid(draft, lead_user, client, private_media):
    for n in range(10):
        services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile(f"{n}.pdf", PDF))
    client.force_login(lead_user)
    page = client.get(documents_url(draft)).content.decode()
    assert "the most a bid can have" in page and 'type="file"' not in page
    response = client.post(documents_url(draft), {"file": SimpleUploadedFile("eleven.pdf", PDF)})
    assert response.status_code == 400
    assert "A bid can have at most 10 supporting documents" in response.content.decode()
    assert BidDocument.objects.count() == 10
    assert len(stored_files(private_media)) == 10


def test_no_file_chosen(draft, lead_user, client):
    client.force_login(lead_user)
    response = client.post(documents_url(draft), {})
    assert response.status_code == 400
    assert "Select a file" in response.content.decode()


def test_download_is_an_attachment_with_nosniff_for_lead_and_partner_and_404_for_others(
    draft, councils, lead_user, client
):
    document = services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile("plan.pdf", PDF))
    partner = services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    download = reverse("bids:document", kwargs={"reference": draft.reference, "document_id": document.pk})
    partner_member = make_user(councils=[councils["p1"]])
    # Invited but not yet answering: the council sees what it is asked to join, not the documents.
    client.force_login(partner_member)
    assert client.get(download).status_code == 404
    services.partner_respond(partner=partner, by=partner_member, confirm=True)
    for user in (lead_user, partner_member):
        client.force_login(user)
        response = client.get(download)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="plan.pdf"' in response["Content-Disposition"]
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PDF
    client.force_login(make_user(councils=[councils["other"]]))
    assert client.get(download).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302  # to sign in
    # The file is not reachable under any public URL.
    assert client.get("/media/" + document.file.name).status_code == 404


def test_a_document_of_another_bid_is_404_through_this_bid(draft, funding_round, councils, lead_user, client):
    other_bid = services.bid_create(
        funding_round=funding_round, lead_council=councils["p1"], by=make_user(councils=[councils["p1"]])
    )
    document = services.document_upload(
        bid=other_bid, by=other_bid.created_by, upload=SimpleUploadedFile("secret.pdf", PDF)
    )
    client.force_login(lead_user)
    download = reverse("bids:document", kwargs={"reference": draft.reference, "document_id": document.pk})
    assert client.get(download).status_code == 404


def test_deleting_a_document_in_draft_removes_row_and_file(
    draft, lead_user, client, private_media, django_capture_on_commit_callbacks
):
    document = services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile("plan.pdf", PDF))
    client.force_login(lead_user)
    delete_url = reverse("bids:document_delete", kwargs={"reference": draft.reference, "document_id": document.pk})
    assert "Are you sure you want to delete plan.pdf?" in client.get(delete_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url)
    assert response.status_code == 302
    assert not BidDocument.objects.exists()
    assert stored_files(private_media) == []


def test_documents_cannot_be_added_or_deleted_after_submission(draft, lead_user):
    document = services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile("plan.pdf", PDF))
    from bids.models import Bid

    Bid.objects.filter(pk=draft.pk).update(state="in_review")
    draft.refresh_from_db()
    document.bid = draft
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        services.document_upload(bid=draft, by=lead_user, upload=SimpleUploadedFile("more.pdf", PDF))
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        services.document_delete(document=document, by=lead_user)
    assert BidDocument.objects.count() == 1


def test_sniffing_ignores_the_name_for_a_zip_bomb_sized_listing():
    entries = {f"f{n}.xml": b"" for n in range(5001)}
    entries["[Content_Types].xml"] = b"<Types/>"
    entries["word/document.xml"] = b"<w/>"
    content = zipped(entries)
    with pytest.raises(ApplicationError, match="not really a DOCX"):
        sniff_document(name="big.docx", size=len(content), stream=io.BytesIO(content))
