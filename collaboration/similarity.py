"""How similar work is measured: each text is embedded (collaboration.embedding) and compared by cosine.

A bid's vector is the normalised sum of the embeddings of its parts — title, summary, problem, user needs —
each embedded on its own (the model reads at most 256 tokens of a text, and a bid's parts each say what the
project is about in their own way). Councils are matched against what is public of a funded project, its title
and summary, and against the pitch of a call for partners (its title and problem); programme staff against
all four parts of every submitted bid. Scores are cosines clipped to 0–1; `RELATED` (settings
SIMILAR_WORK_RELATED_SCORE) is the one score at and above which pages and the API call work related.

Why two texts match is told in words they share: content words, reduced to a common stem (licence,
licences, licensing) and shown as the other text writes them. Those words explain; they do not score.

Vectors live in the database (so SQLite and PostgreSQL behave the same); `VectorStore` keeps each process's
copy of the vectors it has read, keyed by the row's random `version`, so a query reads only the ids and
versions of its candidates and fetches a vector again only when it changed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from django.conf import settings

from collaboration.embedding import DIMENSIONS, embed

BID_PARTS = ("title", "summary", "problem", "user_needs")
PUBLIC_PARTS = ("title", "summary")
PITCH_PARTS = ("title", "problem")
SHARED_TERMS_SHOWN = 5


def related_score() -> float:
    """The score from which work is called related, on every page and in the API."""
    return float(settings.SIMILAR_WORK_RELATED_SCORE)


def new_version() -> int:
    return secrets.randbits(62) + 1


# --- Vectors ----------------------------------------------------------------------------------------------


def to_bytes(vector: np.ndarray | None) -> bytes:
    return b"" if vector is None else np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if not data:
        return None
    vector = np.frombuffer(bytes(data), dtype="<f4")
    return vector if vector.shape == (DIMENSIONS,) else None


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else None


@dataclass(frozen=True)
class Embedded:
    """The vectors of one bid (or pitch): of all its parts, and of its public parts."""

    vector: np.ndarray | None
    public_vector: np.ndarray | None
    text_hash: str


def parts_of(values: dict[str, str], names: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, " ".join((values.get(name) or "").split())) for name in names if (values.get(name) or "").strip()]


def text_hash(values: dict[str, str], names: Iterable[str]) -> str:
    joined = "\x1f".join(" ".join((values.get(name) or "").split()) for name in names)
    return hashlib.sha256(joined.encode()).hexdigest()


def embed_many(items: list[dict[str, str]], *, names: tuple[str, ...], public: tuple[str, ...] = ()) -> list[Embedded]:
    """Embed many texts' parts in one batched pass: the sum of all their parts' embeddings, and of `public`."""
    chunks: list[str] = []
    owners: list[tuple[int, str]] = []
    for index, values in enumerate(items):
        for name, text in parts_of(values, names):
            chunks.append(text)
            owners.append((index, name))
    vectors = embed(chunks) if chunks else np.zeros((0, DIMENSIONS), dtype=np.float32)
    totals = [np.zeros(DIMENSIONS, dtype=np.float32) for _ in items]
    public_totals = [np.zeros(DIMENSIONS, dtype=np.float32) for _ in items]
    for (index, name), vector in zip(owners, vectors, strict=True):
        totals[index] += vector
        if name in public:
            public_totals[index] += vector
    return [
        Embedded(_unit(total), _unit(public_total) if public else None, text_hash(values, names))
        for values, total, public_total in zip(items, totals, public_totals, strict=True)
    ]


# --- Words two texts share --------------------------------------------------------------------------------

# English function words, and the words nearly every bid to the fund uses: they would explain every match.
STOP_WORDS_TEXT = """a about above after again against all also am an and any are as at be because been before
    being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just let me more most my no nor not now of off on
    once only or other our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours us get got make made many much may might must need needs new one
    two three use used using via want wants way ways well within without work working already across every
    council councils service services resident residents people person user users online digital project
    projects staff team data system systems local authority authorities public officer officers help
    better improve improved build create design shared share reuse open"""
STOP_WORDS = frozenset(STOP_WORDS_TEXT.split())
WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")


@cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def terms_of(values: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """`{stem: the word as first written}` of the content words in the texts' parts."""
    stemmer = _stemmer()
    found: dict[str, str] = {}
    for _name, text in parts_of(values, names):
        for raw in WORD.findall(text.lower()):
            word = raw.replace("’", "'").strip("'-")
            if word.endswith("'s"):
                word = word[:-2]
            if len(word) < 3 or word in STOP_WORDS:
                continue
            for piece in word.split("-"):
                if len(piece) < 3 or piece in STOP_WORDS:
                    continue
                stem = stemmer.stemWord(piece)
                found.setdefault(stem, piece)
    return found


def shared_terms(mine: dict[str, str], theirs: dict[str, str], limit: int = SHARED_TERMS_SHOWN) -> list[str]:
    """The words both texts use, as the other text writes them: the longest (most specific) first."""
    common = sorted(set(mine) & set(theirs), key=lambda stem: (-len(theirs[stem]), theirs[stem]))
    return [theirs[stem] for stem in common[:limit]]


# --- Scoring ----------------------------------------------------------------------------------------------


class VectorStore:
    """This process's copy of the vectors it has read, by key, with the version each was read at.

    A query passes its candidates as (key, version) pairs read from the database just now; any vector this
    store lacks, or holds at another version, is fetched again (`fetch`), so an answer is never computed from a
    vector that has since changed. Vectors sit in rows of one matrix, so scoring is one matrix product."""

    def __init__(self) -> None:
        self.rows: dict[object, tuple[int, int]] = {}
        self.matrix = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.lock = threading.Lock()

    def _put(self, key: object, version: int, vector: np.ndarray) -> None:
        current = self.rows.get(key)
        if current is not None:
            self.matrix[current[0]] = vector
            self.rows[key] = (current[0], version)
            return
        row = len(self.rows)
        if row >= len(self.matrix):
            grown = np.zeros((max(64, 2 * len(self.matrix)), DIMENSIONS), dtype=np.float32)
            grown[: len(self.matrix)] = self.matrix
            self.matrix = grown
        self.matrix[row] = vector
        self.rows[key] = (row, version)

    def scores(
        self,
        query: np.ndarray,
        candidates: list[tuple[object, int]],
        fetch: Callable[[list[object]], Iterable[tuple[object, int, bytes]]],
        threshold: float = -1.0,
        limit: int | None = None,
    ) -> list[tuple[object, float]]:
        """(key, cosine) of the candidates scoring at least `threshold` — the best `limit` of them if given —
        best first. One pass over the candidates in Python; the rest is numpy."""
        with self.lock:
            rows = self.rows
            positions: list[int] = []
            missing: dict[object, int] = {}
            for key, version in candidates:
                entry = rows.get(key)
                if entry is None or entry[1] != version:
                    missing[key] = len(positions)
                    positions.append(-1)
                else:
                    positions.append(entry[0])
            if missing:
                for key, version, data in fetch(list(missing)):
                    vector = from_bytes(data)
                    if vector is not None:
                        self._put(key, version, vector)
                for key, index in missing.items():
                    if key in rows:
                        positions[index] = rows[key][0]
            where = np.asarray(positions, dtype=np.int64)
            known = where >= 0
            # One product over every vector held (no copy of the candidates' rows), then the candidates' scores.
            values = np.full(len(where), -2.0, dtype=np.float32)
            values[known] = (self.matrix[: len(rows)] @ query)[where[known]]
        kept = np.nonzero(values >= threshold)[0]
        if limit is not None and len(kept) > limit:
            kept = kept[np.argpartition(-values[kept], limit - 1)[:limit]]
        kept = kept[np.argsort(-values[kept], kind="stable")]
        return [(candidates[i][0], float(values[i])) for i in kept.tolist()]


STORES: dict[str, VectorStore] = {}


def store(name: str) -> VectorStore:
    return STORES.setdefault(name, VectorStore())


def best(scored: list[tuple[object, float]], *, limit: int, threshold: float) -> list[tuple[object, float]]:
    """The `limit` highest scores at or above `threshold`, best first (ties by key, so answers are stable)."""
    kept = [(key, min(1.0, max(0.0, score))) for key, score in scored if score >= threshold]
    kept.sort(key=lambda item: (-item[1], str(item[0])))
    return kept[:limit]
