"""Path converters for the identifiers people see in URLs, registered once (CoreConfig.ready) for every urls.py.

A bid reference (`LDF-R6-0001`) and a round's short code (`R6`) only ever match their own shape, so junk in a
URL (a NUL byte, which PostgreSQL refuses in a query, or any other text) is a 404 before any view or query runs.
"""

from __future__ import annotations

import re

from django.urls import register_converter

ROUND_CODE = r"[A-Za-z0-9]{1,10}"
BID_REFERENCE = rf"LDF-{ROUND_CODE}-[0-9]{{4,9}}"

_ROUND_CODE = re.compile(ROUND_CODE, flags=re.ASCII)


def is_round_code(text: str) -> bool:
    """Whether `text` has the shape of a round's short code (for codes arriving in a query string)."""
    return _ROUND_CODE.fullmatch(text) is not None


class _Text:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class BidReferenceConverter(_Text):
    regex = BID_REFERENCE


class RoundCodeConverter(_Text):
    regex = ROUND_CODE


def register() -> None:
    register_converter(BidReferenceConverter, "reference")
    register_converter(RoundCodeConverter, "code")
