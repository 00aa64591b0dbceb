"""Items the spiders yield besides archive records."""

from __future__ import annotations

from dataclasses import dataclass

from archive.models import FetchedPage


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedPage:
    """A page that could not be parsed: kept raw with its error so nothing is lost."""

    page: FetchedPage
    error: str
    story_id: str | None = None
