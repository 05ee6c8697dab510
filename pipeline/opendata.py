"""Awarded grants as a 360Giving Data Standard package (JSON), streamed so memory stays flat at any size.

`grant_record` maps one awarded bid to a grant; `package_chunks` yields the package's JSON text a grant at a
time while `grant_records` reads the awards from the database in chunks, so the web response and `manage.py
export_360giving` never hold every grant at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from bids.choices import PartnerStatus
from bids.models import BidPartner, FundingRound
from bids.selectors import lineage_families, published_awards
from councils.choices import CouncilType
from councils.models import DISPLAY_NAME_FIELD
from projects.selectors import add_months, projects_modified_at

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
CHUNK_SIZE = 1000
LEAD_NAME = f"lead_council__{DISPLAY_NAME_FIELD}"


REGISTRY_PREFIX = "360G-"


def open_data_prefix() -> str:
    """The publisher's 360Giving prefix, with its "360G-" once (OPEN_DATA_PREFIX may be set with or without)."""
    prefix = settings.OPEN_DATA_PREFIX.strip().strip("-")
    if prefix.upper().startswith(REGISTRY_PREFIX):
        prefix = prefix[len(REGISTRY_PREFIX) :]
    return f"{REGISTRY_PREFIX}{prefix}"


def grant_id(reference: str) -> str:
    """`360G-<prefix>-<reference>`, reading the prefix once: a bid reference starts with the service's own
    code (LDF-R7-0004), so with the prefix LDF the id is 360G-LDF-R7-0004, not 360G-LDF-LDF-R7-0004. It
    depends only on the prefix and the bid's reference, which never changes, so a grant keeps its id."""
    prefix = open_data_prefix()
    last_part = prefix.rsplit("-", 1)[-1]
    if reference.upper().startswith(f"{last_part.upper()}-"):
        reference = reference[len(last_part) + 1 :]
    return f"{prefix}-{reference}"


def _number(value: Decimal) -> int | float:
    """JSON numbers for money: whole pounds as integers, otherwise pounds and pence."""
    return int(value) if value == value.to_integral_value() else float(value)


def _date_time(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Place:
    name: str
    gss_code: str
    council_type: str

    def as_location(self) -> dict:
        return {
            "name": self.name,
            "geoCode": self.gss_code,
            "geoCodeType": GEO_CODE_TYPES.get(self.council_type, "LAD"),
            "countryCode": "GB",
        }


def grant_record(
    row: dict, partners: list[Place], related: list[str] = (), project_modified: datetime | None = None
) -> dict:
    """One 360Giving grant from an awarded bid's row (see GRANT_FIELDS) and its confirmed partner councils.

    `dateModified` is when the grant's record last changed: the bid, or after the award its project (the offer
    accepted, the schedule, a payment, an approved change, outputs, reuse, closure) — `project_modified`.

    `related` are the references of the other published grants of the same project (its discovery, alpha or
    beta): they go in the standard's `relatedActivity` as those grants' ids (README, "Open data")."""
    lead = Place(row[LEAD_NAME], row["lead_council__gss_code"], row["lead_council__council_type"])
    record: dict = {
        "id": grant_id(row["reference"]),
        "title": row["title"] or row["reference"],
        "description": row["summary"] or row["title"] or row["reference"],
        "currency": "GBP",
        "amountAwarded": _number(row["award_amount"]),
        "awardDate": timezone.localtime(row["decided_at"]).date().isoformat(),
        "recipientOrganization": [{"id": f"GB-LAE-{row['lead_council__register_code']}", "name": row[LEAD_NAME]}],
        "fundingOrganization": [{"id": settings.FUNDING_ORG_ID, "name": settings.FUNDING_ORG_NAME}],
        "grantProgramme": [{"code": row["funding_round__code"], "title": row["funding_round__name"]}],
        "beneficiaryLocation": [place.as_location() for place in (lead, *partners)],
        "dateModified": _date_time(max(row["updated_at"], project_modified or row["updated_at"])),
    }
    if row["amount_requested"] is not None:
        record["amountAppliedFor"] = _number(row["amount_requested"])
    if row["planned_start"]:
        planned: dict = {"startDate": row["planned_start"].isoformat()}
        if row["duration_months"]:
            planned["duration"] = row["duration_months"]
            planned["endDate"] = add_months(row["planned_start"], row["duration_months"]).isoformat()
        record["plannedDates"] = [planned]
    if related:
        record["relatedActivity"] = [grant_id(reference) for reference in related]
    return record


GRANT_FIELDS = (
    "pk",
    "reference",
    "title",
    "summary",
    "award_amount",
    "amount_requested",
    "decided_at",
    "updated_at",
    "planned_start",
    "duration_months",
    "funding_round__code",
    "funding_round__name",
    "lead_council__register_code",
    LEAD_NAME,
    "lead_council__gss_code",
    "lead_council__council_type",
)


def grant_records(*, funding_round: FundingRound | None = None, chunk_size: int = CHUNK_SIZE) -> Iterator[dict]:
    """Every awarded grant, read a chunk at a time by primary key (keyset pagination: two short queries per
    chunk, nothing kept between chunks), as plain rows rather than model instances — about five times faster
    for a large export."""
    awarded = published_awards()  # a round's awards are public once its decisions are published
    if funding_round is not None:
        awarded = awarded.filter(funding_round=funding_round)
    last_pk = 0
    while True:
        rows = list(awarded.filter(pk__gt=last_pk).order_by("pk").values(*GRANT_FIELDS)[:chunk_size])
        if not rows:
            return
        partners: dict[int, list[Place]] = {}
        confirmed = (
            BidPartner.objects.filter(bid_id__in=[row["pk"] for row in rows], status=PartnerStatus.CONFIRMED)
            .order_by(f"council__{DISPLAY_NAME_FIELD}")
            .values_list("bid_id", f"council__{DISPLAY_NAME_FIELD}", "council__gss_code", "council__council_type")
        )
        for bid_id, name, gss_code, council_type in confirmed:
            partners.setdefault(bid_id, []).append(Place(name, gss_code, council_type))
        bid_ids = [row["pk"] for row in rows]
        related = _related_grants(bid_ids)
        modified = projects_modified_at(bid_ids=bid_ids)
        for row in rows:
            yield grant_record(row, partners.get(row["pk"], []), related.get(row["pk"], []), modified.get(row["pk"]))
        last_pk = rows[-1]["pk"]


def _related_grants(bid_ids: list[int]) -> dict[int, list[str]]:
    """For each bid, the references of the other published grants of its project, oldest phase first (a few
    queries per chunk of grants, whatever its size)."""
    families = lineage_families(bid_ids=bid_ids)
    others = {pk for bid_id in bid_ids for pk in families.get(bid_id, ()) if pk != bid_id}
    if not others:
        return {}
    published = {
        pk: (reference, opens_at)
        for pk, reference, opens_at in published_awards()
        .filter(pk__in=others)
        .values_list("pk", "reference", "funding_round__opens_at")
    }
    related = {}
    for bid_id in bid_ids:
        steps = sorted(
            (published[pk] for pk in families.get(bid_id, ()) if pk in published and pk != bid_id),
            key=lambda step: (step[1], step[0]),
        )
        if steps:
            related[bid_id] = [reference for reference, _opens_at in steps]
    return related


DEMO_LABEL = "Demo data — not real grants"


def package_metadata(*, funding_round: FundingRound | None) -> dict:
    scope = funding_round.name if funding_round else "all rounds"
    title = f"Local Digital Fund grants: {scope}"
    description = "Grants awarded by the Local Digital Fund to English councils, published as open data."
    publisher = settings.FUNDING_ORG_NAME
    if settings.DEMO_DATA:
        # Whoever reads only the file must still see that none of it is real.
        title = f"{DEMO_LABEL}. {title}"
        description = (
            f"{DEMO_LABEL}: made-up grants from a demonstration of the Local Digital Fund service. None of these "
            "awards was made, and the councils' Local Digital Declaration status in it is invented."
        )
        publisher = f"{publisher} ({DEMO_LABEL})"
    return {
        "version": SCHEMA_VERSION,
        "title": title,
        "description": description,
        "modified": _date_time(timezone.now()),
        "publisher": {"identifier": settings.FUNDING_ORG_ID, "name": publisher},
    }


def package_chunks(*, funding_round: FundingRound | None = None) -> Iterator[str]:
    """The package as JSON text, grant by grant: `{"version": …, …, "grants": [ {…}, {…} ]}`."""
    metadata = json.dumps(package_metadata(funding_round=funding_round), ensure_ascii=False)
    yield metadata[:-1] + ', "grants": ['
    first = True
    for record in grant_records(funding_round=funding_round):
        yield ("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def package_filename(funding_round: FundingRound | None) -> str:
    scope = funding_round.code if funding_round else "all"
    return f"local-digital-fund-360giving-{scope}.json"
