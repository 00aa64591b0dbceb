"""scraper.parsers.hn.both: one thread from the API's tree and the page, merged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from archive.models import Comment, Difference, Story, Thread
from scraper.parsers.hn.both import merge_thread

AT = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
EXACT = datetime(2026, 1, 14, 9, 0, 7, tzinfo=UTC)


def comment(id: str, parent: str | None, depth: int, position: int, **kw: object) -> Comment:
    fields: dict = dict(site="hn", id=id, story_id="1", parent_id=parent, depth=depth,
                        position=position, author=f"u{id}", text_html=f"text {id}",
                        text=f"text {id}")
    fields.update(kw)
    return Comment(**fields)


def thread(comments: tuple[Comment, ...], source: str, **story: object) -> Thread:
    return Thread(story=Story(site="hn", id="1", title="T", **story),  # type: ignore[arg-type]
                  comments=comments, fetched_at=AT, source=source)


def test_agreeing_forms_give_the_page_with_exact_times() -> None:
    page = thread((comment("2", None, 0, 0, created_at=AT, created_at_raw="3 hours ago",
                           colour="c5a"),
                   comment("3", "2", 1, 0, dead=True, text_html=None, text=None)),
                  "html", created_at=AT, created_at_raw="3 hours ago", comment_count=2)
    api = thread((comment("2", None, 0, 0, created_at=EXACT, created_at_raw="1768381207"),
                  comment("3", "2", 1, 0, dead=True, text_html="dead text", text="dead text")),
                 "api", created_at=EXACT, created_at_raw="1768381207", comment_count=2)

    merged = merge_thread(api, page)

    assert merged.comments == (
        comment("2", None, 0, 0, created_at=EXACT, created_at_raw="1768381207", colour="c5a"),
        # The page hides a dead comment's text from logged-out readers; the API has it.
        comment("3", "2", 1, 0, dead=True, text_html="dead text", text="dead text"),
    )
    assert (merged.source, merged.differences) == ("api,html", ())
    assert (merged.story.created_at, merged.story.created_at_raw) == (EXACT, "1768381207")


def test_what_one_form_lacks_is_kept_and_named() -> None:
    page = thread((comment("2", None, 0, 0), comment("4", "2", 1, 0),
                   comment("5", None, 0, 1)), "html")
    # The API: 4 is null (absent), 6 is a reply the page does not show (first of 2's
    # kids), and 5 is under 2 where the page shows it at the top level.
    api = thread((comment("2", None, 0, 0), comment("6", "2", 1, 0), comment("5", "2", 1, 2)),
                 "api")

    merged = merge_thread(api, page)

    assert merged.comments == (
        comment("2", None, 0, 0),
        replace(comment("6", "2", 1, 0), source="api"),
        replace(comment("4", "2", 1, 1), source="html"),
        comment("5", None, 0, 1),
    )
    assert merged.differences == (
        Difference(comment_id="4", kind="only", shown_by="html", other="api"),
        Difference(comment_id="5", kind="parent", shown_by="html", other="api",
                   detail={"api": "2", "html": None}),
        Difference(comment_id="6", kind="only", shown_by="api", other="html"),
    )
