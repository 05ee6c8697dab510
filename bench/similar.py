"""Benchmark of similar work at 1,000 and 10,000 bids (a benchmark, not a test).

    .venv/bin/python bench/similar.py [--sizes 1000,10000] [--queries 60] [--sqlite]

For each size, in a database of its own (PostgreSQL `ldf_bench_similar_<n>` at BENCH_PG, default
postgres://postgres@127.0.0.1:5432, dropped first; or a SQLite file with --sqlite):
1. migrates, seeds the programme with `pipeline.seeding.seed_programme` (bids in every state over n/1,000 rounds),
2. gives every bid a title and summary and its index row. Embedding 10,000 bids with the model takes minutes on
   this machine's two cores, so the bench embeds a pool of 400 distinct texts for real and gives each bid one of
   them with a small random change to its vector; a query costs the same whatever the vectors hold. The real
   embedding rate (texts a second) is measured on a sample and printed, with what a full rebuild would take,
3. times `collaboration.selectors.similar_work` for one bid — as programme staff (every submitted bid is a
   candidate) and as a council member (funded projects and open calls) — cold (a new process's first query
   reads every candidate's vector) and warm (later queries read only ids and versions), and the API request
   GET /api/bids/<reference>/similar/ through Django's test client; and the round's overlap refresh.
Goal: suggestions for one bid among 10,000 in ≤ 50 ms (warm). Prints how each cost grows from 1,000 to 10,000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
GOAL_MS = 50.0
POOL = 400

SERVICES = [
    "parking permits",
    "school admissions",
    "taxi licensing",
    "homelessness prevention",
    "garden waste",
    "electoral registration",
    "birth and death registration",
    "freedom of information requests",
    "fly-tipping",
    "Blue Badges",
    "council tax discounts",
    "home to school transport",
    "housing repairs",
    "food hygiene",
    "adult social care assessments",
    "pest control",
    "business rates relief",
    "planning applications",
    "library memberships",
    "allotments",
    "street lighting faults",
    "pothole reports",
    "bulky waste collections",
    "licensing of houses in multiple occupation",
    "noise complaints",
    "burial records",
    "school meals",
    "care leavers' support",
    "debt advice",
    "domestic abuse referrals",
]
ACTIONS = [
    "an online service for",
    "a shared case management tool for",
    "an open data standard for",
    "a digital front door for",
    "self-service booking and payment for",
    "better triage of",
    "a reusable form builder for",
    "data matching to cut the cost of",
    "a mobile app for officers handling",
    "a single view of residents' requests about",
    "automated reminders for",
    "a tracking page for",
    "a shared platform between neighbouring councils for",
]
PEOPLE = ["residents", "families", "officers", "small businesses", "tenants", "carers", "drivers", "landlords"]


def texts(rng: random.Random) -> list[tuple[str, str]]:
    """POOL distinct (title, summary) pairs about council services, in varied words."""
    seen, out = set(), []
    while len(out) < POOL:
        service, action, who = rng.choice(SERVICES), rng.choice(ACTIONS), rng.choice(PEOPLE)
        if (service, action, who) in seen:
            continue
        seen.add((service, action, who))
        title = f"{action[0].upper()}{action[1:]} {service}"
        summary = (
            f"Today {who} deal with {service} by phone, post and paper forms, and every council runs its own "
            f"process. We will build {action} {service}, test it with {who} and share it across councils."
        )
        out.append((title, summary))
    return out


# --- Inside one size's process (Django set up against that database) ------------------------------------


def populate(bids_wanted: int, seed: int) -> dict:
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from bids.models import Bid
    from collaboration.embedding import embed
    from collaboration.models import BidTextIndex
    from collaboration.similarity import BID_PARTS, PUBLIC_PARTS, embed_many, new_version, terms_of, to_bytes
    from pipeline.seeding import seed_programme

    rng = random.Random(seed)
    started = time.perf_counter()
    seed_programme(bids=bids_wanted, rounds=max(1, bids_wanted // 1000), tag="SIM", assessors=8, seed=seed)
    seeded = time.perf_counter() - started

    pool = texts(rng)
    started = time.perf_counter()
    sample = embed_many([{"title": t, "summary": s} for t, s in pool[:64]], names=BID_PARTS, public=PUBLIC_PARTS)
    rate = 2 * len(sample) / (time.perf_counter() - started)  # two parts embedded per bid
    vectors = np.stack([embed([t])[0] + embed([s])[0] for t, s in pool]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    now = timezone.now()
    rows, updates = [], []
    for bid in Bid.objects.only("pk", "state", "submitted_at").order_by("pk"):
        choice = rng.randrange(POOL)
        title, summary = pool[choice]
        vector = vectors[choice] + np.float32(0.05) * np.asarray(
            [rng.gauss(0, 1) for _ in range(vectors.shape[1])], dtype=np.float32
        ) / np.sqrt(np.float32(vectors.shape[1]))
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        values = {"title": title, "summary": summary}
        bid.title, bid.summary = title, summary
        updates.append(bid)
        rows.append(
            BidTextIndex(
                bid=bid,
                vector=to_bytes(vector),
                public_vector=to_bytes(vector),
                terms=terms_of(values, BID_PARTS),
                public_terms=terms_of(values, PUBLIC_PARTS),
                text_hash="bench",
                version=new_version(),
                submitted=bid.submitted_at is not None and bid.state != "draft",
                stale=False,
                indexed_at=now,
            )
        )
    with transaction.atomic():
        Bid.objects.bulk_update(updates, ["title", "summary"], batch_size=2000)
        BidTextIndex.objects.bulk_create(rows, batch_size=2000)
    return {"seed_s": seeded, "embed_rate_texts_per_s": rate}


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(bids_wanted: int, queries: int, seed: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from bids.models import Bid, FundingRound
    from collaboration import similarity
    from collaboration.selectors import SUBMITTED, similar_work
    from collaboration.services import round_overlaps_refresh
    from councils.choices import Role
    from councils.models import Membership, User

    result = {"bids": bids_wanted, "database": connection.vendor, **populate(bids_wanted, seed)}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    rng = random.Random(seed + 1)
    submitted = list(Bid.objects.filter(SUBMITTED).values_list("pk", flat=True))
    picks = [Bid.objects.select_related("lead_council").get(pk=pk) for pk in rng.sample(submitted, queries)]
    staff = User.objects.create_user(email="bench-staff@example.test", password="x", role=Role.PROGRAMME_STAFF)
    member = User.objects.create_user(email="bench-member@example.test", password="x", role=Role.COUNCIL_MEMBER)
    Membership.objects.create(user=member, council=picks[0].lead_council)

    result["candidates_staff"] = len(submitted)
    result["rounds"] = FundingRound.objects.filter(code__startswith="SIM").count()
    similarity.STORES.clear()
    result["staff_cold_ms"] = timed(lambda: similar_work(bid=picks[0], user=staff), 1)[0]
    warm = [timed(lambda bid=bid: similar_work(bid=bid, user=staff), 1)[0] for bid in picks[1:]]
    result["staff_warm_ms"] = warm
    found = [len(similar_work(bid=bid, user=staff)) for bid in picks[:10]]
    result["staff_results_per_query"] = statistics.mean(found)
    similarity.STORES.clear()
    result["council_cold_ms"] = timed(lambda: similar_work(bid=picks[0], user=member), 1)[0]
    result["council_warm_ms"] = [timed(lambda: similar_work(bid=picks[0], user=member), 1)[0] for _ in picks[1:]]

    token = Token.objects.create(user=staff).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    api = []
    for bid in picks[1:]:
        started = time.perf_counter()
        response = client.get(f"/api/bids/{bid.reference}/similar/")
        api.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    result["api_warm_ms"] = api
    rounds = list(FundingRound.objects.filter(code__startswith="SIM").values_list("pk", flat=True))
    result["overlap_refresh_ms_per_round"] = timed(lambda: round_overlaps_refresh(funding_round_id=rounds[-1]), 3)
    return result


# --- Orchestration ----------------------------------------------------------------------------------------


def database_for(size: int, sqlite: bool) -> str:
    if sqlite:
        path = Path(tempfile.gettempdir()) / f"ldf-bench-similar-{size}.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = f"ldf_bench_similar_{size}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):6.1f} ms, p95 {p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="Measure on SQLite (the demo's database) instead")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, args.seed)))
        return
    results = []
    for size in (int(part) for part in args.sizes.split(",")):
        env = {
            **os.environ,
            "DATABASE_URL": database_for(size, args.sqlite),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
            "DEBUG": "false",
            "SIMILARITY_INDEX_INLINE": "false",
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
        env.pop("REDIS_URL", None)
        env.pop("CACHE_URL", None)
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        print(f"Seeding and indexing {size:,} bids…", file=sys.stderr)
        out = subprocess.run(
            [PYTHON, __file__, "--measure", str(size), "--queries", str(args.queries), "--seed", str(args.seed)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    for r in results:
        print(f"\n{r['bids']:,} bids on {r['database']} ({r['rounds']} rounds, {r['candidates_staff']:,} submitted)")
        print(
            f"  staff, similar work for one bid    cold {r['staff_cold_ms']:6.1f} ms; "
            f"warm {summary(r['staff_warm_ms'])}"
        )
        print(
            f"  council member, similar work        cold {r['council_cold_ms']:6.1f} ms; "
            f"warm {summary(r['council_warm_ms'])}"
        )
        print(f"  GET /api/bids/<ref>/similar/ (staff) warm {summary(r['api_warm_ms'])}")
        print(f"  overlap refresh of one round        {summary(r['overlap_refresh_ms_per_round'])}")
        print(f"  related works found per query (staff, mean of 10): {r['staff_results_per_query']:.1f}")
        rate = r["embed_rate_texts_per_s"]
        print(
            f"  embedding: {rate:.0f} texts/s, so a full rebuild of {r['bids']:,} bids' title and summary "
            f"takes about {2 * r['bids'] / rate / 60:.1f} min"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        factor = large["bids"] / small["bids"]
        for key, label in (
            ("staff_warm_ms", "staff, warm"),
            ("council_warm_ms", "council, warm"),
            ("api_warm_ms", "API, warm"),
        ):
            ratio = statistics.median(large[key]) / statistics.median(small[key])
            print(f"\nGrowth {small['bids']:,} → {large['bids']:,} bids (×{factor:.0f}), {label}: ×{ratio:.1f}")
        worst = statistics.median(large["staff_warm_ms"])
        verdict = "meets" if worst <= GOAL_MS else "misses"
        print(
            f"\nGoal ≤ {GOAL_MS:.0f} ms for one bid among {large['bids']:,}: {verdict} it "
            f"({worst:.1f} ms, staff, warm median)"
        )


if __name__ == "__main__":
    main()
