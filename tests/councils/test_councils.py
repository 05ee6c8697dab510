from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from councils.choices import CouncilType
from councils.models import Council

pytestmark = pytest.mark.django_db


def test_load_councils_creates_all_317_and_is_idempotent():
    call_command("load_councils", verbosity=0)
    assert Council.objects.count() == 317
    bristol = Council.objects.get(register_code="BST")
    assert bristol.gss_code == "E06000023"
    assert bristol.council_type == CouncilType.UNITARY
    assert bristol.org_id == "GB-LAE-BST"
    assert Council.objects.filter(council_type=CouncilType.CITY_OF_LONDON).count() == 1
    call_command("load_councils", verbosity=0)
    assert Council.objects.count() == 317


def test_load_councils_refuses_a_bad_file_and_changes_nothing(tmp_path: Path):
    bad = tmp_path / "councils.csv"
    bad.write_text("register_code,official_name\nXYZ,Nowhere\n")
    with pytest.raises(CommandError, match="missing the column"):
        call_command("load_councils", path=bad, verbosity=0)
    assert Council.objects.count() == 0


def test_load_councils_refuses_a_short_row_and_changes_nothing(tmp_path: Path):
    bad = tmp_path / "councils.csv"
    bad.write_text(
        "register_code,official_name,short_name,gss_code,council_type,region\n"
        "BST,Bristol City Council,Bristol,E06000023,Unitary authority,South West\n"
        "XYZ,Nowhere\n"
    )
    with pytest.raises(CommandError, match="line 3: not a valid English council row"):
        call_command("load_councils", path=bad, verbosity=0)
    assert Council.objects.count() == 0


def test_north_somerset_name_has_single_spaces():
    call_command("load_councils", verbosity=0)
    assert Council.objects.get(register_code="NSM").official_name == "North Somerset Council"


@pytest.mark.django_db
def test_council_search_lists_signatories_first_then_by_name():
    from councils.selectors import council_search
    from tests.factories import make_council

    make_council("AAA", "Abbey Vale", signed=False)
    make_council("BBB", "Bishops Vale")
    make_council("CCC", "Cedar Vale")
    assert [council.short_name for council in council_search(query="vale")] == [
        "Bishops Vale",
        "Cedar Vale",
        "Abbey Vale",
    ]
