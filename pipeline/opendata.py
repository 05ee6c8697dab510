"""Awarded grants as a 360Giving Data Standard package (JSON), streamed so memory stays flat at any size.

`grant_record` maps one awarded bid to a grant; `package_chunks` yields the package's JSON text a piece at a
time while reading the awards from the database in chunks, so the web response and `manage.py
export_360giving` never hold every grant at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from bids.models import Bid, FundingRound
from councils.choices import CouncilType
from pipeline.selectors import funded_bids

SCHEMA_VERSION = "1.4"

# ONS entity codes of English councils (the 360Giving geoCodeType codelist), by council type.
GEO_CODE_TYPES = {
    CouncilType.COUNTY: "CTY",
    CouncilType.DISTRICT: "NMD",
    CouncilType.UNITARY: "UA",
    CouncilType.METROPOLITAN: "MD",
    CouncilType.LONDON_BOROUGH: "LONB",
    CouncilType.CITY_OF_LONDON: "LONB",
}
CHUNK_SIZE = 500


def grant_id(reference: str) -> str:
    return f"360G-{settings.OPEN_DATA_PREFIX}-{reference}"


def _number(value: Decimal) -> int | float:
    """JSON numbers for money: whole pounds as integers, otherwise pounds and pence."""
    return int(value) if value == value.to_integral_value() else float(value)


def _date_time(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _add_months(start, months: int):
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    # Clamp the day (31 January + 1 month → 28/29 February).
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError("unreachable")


def grant_record(bid: Bid) -> dict:
    """One 360Giving grant for an awarded bid. Needs `confirmed_partners` (see `funded_bids`)."""
    lead = bid.lead_council
    councils = [lead, *(partner.council for partner in getattr(bid, "confirmed_partners", []))]
    record: dict = {
        "id": grant_id(bid.reference),
        "title": bid.title or bid.reference,
        "description": bid.summary or bid.title or bid.reference,
        "currency": "GBP",
        "amountAwarded": _number(bid.award_amount),
        "awardDate": timezone.localtime(bid.decided_at).date().isoformat(),
        "recipientOrganization": [{"id": lead.org_id, "name": lead.official_name}],
        "fundingOrganization": [{"id": settings.FUNDING_ORG_ID, "name": settings.FUNDING_ORG_NAME}],
        "grantProgramme": [{"code": bid.funding_round.code, "title": bid.funding_round.name}],
        "beneficiaryLocation": [
            {
                "name": council.official_name,
                "geoCode": council.gss_code,
                "geoCodeType": GEO_CODE_TYPES.get(council.council_type, "LAD"),
                "countryCode": "GB",
            }
            for council in councils
        ],
        "dateModified": _date_time(bid.updated_at),
    }
    if bid.amount_requested is not None:
        record["amountAppliedFor"] = _number(bid.amount_requested)
    if bid.planned_start:
        planned: dict = {"startDate": bid.planned_start.isoformat()}
        if bid.duration_months:
            planned["duration"] = bid.duration_months
            planned["endDate"] = _add_months(bid.planned_start, bid.duration_months).isoformat()
        record["plannedDates"] = [planned]
    return record


def package_metadata(*, funding_round: FundingRound | None) -> dict:
    scope = funding_round.name if funding_round else "all rounds"
    return {
        "version": SCHEMA_VERSION,
        "title": f"Local Digital Fund grants: {scope}",
        "description": "Grants awarded by the Local Digital Fund to English councils, published as open data.",
        "modified": _date_time(timezone.now()),
        "publisher": {"identifier": settings.FUNDING_ORG_ID, "name": settings.FUNDING_ORG_NAME},
    }


def package_chunks(*, funding_round: FundingRound | None = None) -> Iterator[str]:
    """The package as JSON text, grant by grant: `{"version": …, …, "grants": [ {…}, {…} ]}`."""
    metadata = json.dumps(package_metadata(funding_round=funding_round), ensure_ascii=False)
    yield metadata[:-1] + ', "grants": ['
    first = True
    for bid in funded_bids(funding_round=funding_round).iterator(chunk_size=CHUNK_SIZE):
        yield ("" if first else ",") + "\n" + json.dumps(grant_record(bid), ensure_ascii=False)
        first = False
    yield "\n]}\n"


def package_filename(funding_round: FundingRound | None) -> str:
    scope = funding_round.code if funding_round else "all"
    return f"local-digital-fund-360giving-{scope}.json"
