"""How the API picks its format (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS): a module of its own, as DRF
imports it while defining its views."""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FormatNegotiation(DefaultContentNegotiation):
    """`?format=` names a format the API has (406 with the ones it has otherwise), as DRF's own answer is a bare
    "Not found" as if the address did not exist."""

    def filter_renderers(self, renderers, format):
        kept = [renderer for renderer in renderers if renderer.format == format]
        if not kept:
            formats = ", ".join(renderer.format for renderer in renderers)
            raise NotAcceptable(f"‘{format}’ is not a format of this API. Use: {formats}")
        return kept
