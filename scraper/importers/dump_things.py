"""Stand-in for scraper.parsers.reddit.things (R1) until it lands: one Reddit thing
dict to the archive's models. Removed at the merge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from archive.models import Comment, Story

_EXTRA = ("subreddit", "distinguished", "stickied", "controversiality", "retrieved_on",
          "_meta")


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        return None


def comment_from(data: dict[str, Any], *, story_id: str, parent_id: str | None, depth: int,
                 position: int) -> Comment:
    body = data.get("body")
    author = data.get("author")
    edited = data.get("edited")
    extra = {k: data[k] for k in _EXTRA if data.get(k) not in (None, False)}
    return Comment(
        site="reddit", id=str(data["id"]), story_id=story_id, parent_id=parent_id,
        depth=depth, position=position,
        author=None if author == "[deleted]" else author,
        created_at=_time(data.get("created_utc")),
        created_at_raw=str(data.get("created_utc")),
        text=body, deleted=body == "[deleted]", removed=body == "[removed]",
        score=data.get("score"), edited=bool(edited),
        edited_at=_time(edited) if edited not in (None, False, True) else None,
        by_submitter=bool(data.get("is_submitter")), extra=extra or None)


def story_from(data: dict[str, Any], *, fetched_at: datetime, source: str) -> Story:
    return Story(
        site="reddit", id=str(data["id"]), title=data.get("title"), url=data.get("url"),
        author=data.get("author"), score=data.get("score"),
        comment_count=data.get("num_comments"), created_at=_time(data.get("created_utc")),
        created_at_raw=str(data.get("created_utc")), text=data.get("selftext") or None,
        extra={k: data[k] for k in ("subreddit",) if data.get(k)} or None)
