"""Reddit's placeholders for a text that is gone: who took it away, read from the
placeholder alone. No imports beyond the standard library: the dump import's decoding
workers read every comment through it (see scraper.importers.reddit_dump_rows).
"""

from __future__ import annotations

DELETED_BODY = "[deleted]"  # by its author
REMOVED_BODY = "[removed]"  # by the subreddit's moderators (or its filters)
# Reddit's own removals (its admins, a copyright notice, the content policy) leave a
# placeholder of their own in place of the text, not "[removed]": "[ Removed by Reddit ]"
# on comments since about 2020, "[ Removed by reddit in response to a copyright notice. ]"
# and "[ Removed by reddit on account of violating the [content policy](...). ]" on
# posts. Read as a removal, so that no such sentence is stored as what the author wrote.
_BY_REDDIT = "[ removed by reddit"
_BY_REDDIT_MAX = 200  # the longest known is ~90: a longer text is a comment quoting one


def by_reddit(text: str) -> bool:
    """Whether ``text`` (a body's Markdown or the text shown) is one of Reddit's own
    removal placeholders."""
    return (len(text) <= _BY_REDDIT_MAX and text[:19].lower() == _BY_REDDIT
            and text.endswith(" ]") and "\n" not in text)


def body_state(body: str | None) -> tuple[bool, bool]:
    """(deleted, removed) from a body's placeholder."""
    if not body or body[0] != "[":
        return False, False
    return body == DELETED_BODY, body == REMOVED_BODY or by_reddit(body)
