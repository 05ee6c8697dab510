"""How well similar work generalises, on the two labelled sets in tests/collaboration/data/ (not a test).

    .venv/bin/python bench/similar_quality.py

The method is the service's own (collaboration.similarity: each bid's title and summary embedded and summed,
cosine between bids). For each set, and for both together, it prints the top-3 hit rate, the scores of
same-theme pairs, the best score any unrelated text reaches, and the margin around the service's RELATED
threshold (SIMILAR_WORK_RELATED_SCORE). Then two checks that nothing was fitted to one set:
- across sets: a threshold chosen on one set alone (midway between its unrelated texts' best score and its
  weakest same-theme pair) is applied to the other set;
- leave one theme out, over both sets together: for each theme, the threshold is chosen the same way from all
  the other themes and unrelated texts, and the held-out theme's pairs and the unrelated texts are judged by it.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "quality-bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

DATA = ROOT / "tests" / "collaboration" / "data"


def load(name: str) -> list[tuple[str | None, str, str]]:
    data = json.loads((DATA / name).read_text())
    items = [(f"{name}:{theme}", title, text) for theme, projects in data["themes"].items() for title, text in projects]
    return items + [(None, title, text) for title, text in data["noise"]]


def scores(items) -> np.ndarray:
    from collaboration.similarity import BID_PARTS, PUBLIC_PARTS, embed_many

    embedded = embed_many([{"title": t, "summary": x} for _theme, t, x in items], names=BID_PARTS, public=PUBLIC_PARTS)
    matrix = np.stack([e.vector for e in embedded])
    return matrix @ matrix.T


def stats(items, sim: np.ndarray, keep=lambda theme: True) -> dict:
    n = len(items)
    pairs, noise, hits, total, unrelated_best = [], [], 0, 0, []
    for i, (theme, _title, _text) in enumerate(items):
        others = [j for j in range(n) if j != i]
        if theme is None:
            noise.append(max(sim[i, j] for j in others))
            continue
        if not keep(theme):
            continue
        same = [j for j in others if items[j][0] == theme]
        unrelated_best.append(max(sim[i, j] for j in others if items[j][0] != theme))
        if not same:
            continue
        total += 1
        top = sorted(others, key=lambda j: -sim[i, j])[:3]
        hits += any(j in same for j in top)
        pairs.append(max(sim[i, j] for j in same))
    return {
        "top3": (hits, total),
        "pairs": pairs,
        "noise_max": max(noise) if noise else float("nan"),
        "unrelated_best": unrelated_best,
    }


def midway(s: dict) -> float:
    return (s["noise_max"] + min(s["pairs"])) / 2


def report(label: str, s: dict, threshold: float) -> None:
    hits, total = s["top3"]
    pairs = s["pairs"]
    above = sum(p >= threshold for p in pairs)
    print(
        f"{label}: top-3 {hits}/{total}; same-theme best pair min {min(pairs):.3f}, "
        f"median {statistics.median(pairs):.3f}; "
        f"unrelated texts' best {s['noise_max']:.3f}; margin at {threshold:.2f}: "
        f"{threshold - s['noise_max']:+.3f} above the unrelated, {min(pairs) - threshold:+.3f} below the weakest pair; "
        f"pairs called related {above}/{len(pairs)}; themed projects whose best unrelated match is related "
        f"{sum(u >= threshold for u in s['unrelated_best'])}/{len(s['unrelated_best'])}"
    )


def main() -> None:
    import django

    django.setup()
    from collaboration.similarity import related_score

    threshold = related_score()
    sets = {name: load(name) for name in ("similar-bids-dev.json", "similar-bids-check.json")}
    sims = {name: scores(items) for name, items in sets.items()}
    both = sets["similar-bids-dev.json"] + sets["similar-bids-check.json"]
    both_sim = scores(both)
    print(f"RELATED threshold (SIMILAR_WORK_RELATED_SCORE): {threshold}\n")
    per_set = {name: stats(items, sims[name]) for name, items in sets.items()}
    for name, s in per_set.items():
        report(name, s, threshold)
    report("both sets together", stats(both, both_sim), threshold)

    print("\nAcross sets (threshold chosen on one, judged on the other):")
    for chosen, judged in (
        ("similar-bids-dev.json", "similar-bids-check.json"),
        ("similar-bids-check.json", "similar-bids-dev.json"),
    ):
        t = midway(per_set[chosen])
        s = per_set[judged]
        called = sum(p >= t for p in s["pairs"])
        print(
            f"  chosen on {chosen}: {t:.3f} → on {judged}: unrelated texts below it: {s['noise_max'] < t}; "
            f"pairs called related {called}/{len(s['pairs'])}"
        )

    print("\nLeave one theme out, within each set (the threshold chosen without the held-out theme's texts):")
    passed = noise_ok = counted = 0
    for name, items in sets.items():
        sim = sims[name]
        for held in sorted({theme for theme, _t, _x in items if theme}):
            keep = [i for i, (theme, _t, _x) in enumerate(items) if theme != held]
            rest = stats([items[i] for i in keep], sim[np.ix_(keep, keep)])
            mine = stats(items, sim, keep=lambda theme, held=held: theme == held)
            if not mine["pairs"]:
                continue
            t = midway(rest)
            counted += 1
            ok = min(mine["pairs"]) >= t
            passed += ok
            noise_ok += mine["noise_max"] < t
            verdict = "related" if ok else "NOT related"
            print(
                f"  {held}: threshold {t:.3f}; its weakest pair {min(mine['pairs']):.3f} {verdict}; "
                f"unrelated texts' best {mine['noise_max']:.3f}; top-3 {mine['top3'][0]}/{mine['top3'][1]}"
            )
    print(
        f"  held-out themes whose pairs are called related: {passed}/{counted}; "
        f"held-out thresholds above every unrelated text: {noise_ok}/{counted}"
    )


if __name__ == "__main__":
    main()
