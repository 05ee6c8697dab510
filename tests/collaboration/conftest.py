"""Fixtures for the collaboration tests (the labelled texts and their builders are in
`tests.factories.collaboration`)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _index_inline(settings):
    """Index changed text at once (after commit), as the demo does, rather than through a Celery worker."""
    settings.SIMILARITY_INDEX_INLINE = True
