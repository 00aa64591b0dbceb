"""Generated threads for bench/scale.py: a large archive's shape without a crawl.

Records are made directly (no HTML, no parser): the scale bench measures the archive,
and building 10 million comments through the parser would take hours more. The shape
is what the queries are sensitive to:

* authors drawn from a Zipf-like law (weight 1/rank^1.1 over AUTHORS names), so a few
  authors have tens of thousands of comments and most have a handful;
* COMMON_WORD in half of all comments (a search that matches millions);
* thread sizes log-uniform from 10 to 5,000 comments, replies to earlier comments of
  the same thread, depth capped as real threads are;
* one thread of exactly SHOW_COMMENTS comments, SHOW_ID, which the bench shows.

Everything comes from one seeded ``random.Random``: the same arguments give the same
archive.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from archive.models import Comment, Story, Thread

SITE = "hn"
AUTHORS = 200_000
COMMON_WORD = "people"
SHOW_ID = "1"
SHOW_COMMENTS = 1_000
MIN_THREAD, MAX_THREAD = 10, 5_000
MAX_DEPTH = 30
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

# A few hundred plain words: comment text needs a vocabulary with a long tail for
# the full-text index to look like a real one (many rare words, few common ones).
_WORDS = (
    "the", "of", "and", "to", "in", "is", "that", "it", "for", "on", "with", "as", "was",
    "this", "be", "are", "by", "not", "you", "or", "have", "but", "from", "they", "at", "an",
    "which", "one", "would", "all", "there", "their", "what", "so", "can", "if", "about",
    "more", "when", "will", "no", "them", "some", "time", "only", "very", "than", "also",
    "like", "just", "into", "other", "could", "because", "how", "any", "work", "most",
    "should", "make", "these", "over", "such", "even", "new", "where", "much", "rust",
    "python", "sqlite", "database", "query", "index", "thread", "comment", "archive", "crawl",
    "page", "server", "latency", "memory", "cache", "disk", "write", "read", "compile",
    "build", "test", "deploy", "bug", "fix", "kernel", "linux", "window", "browser",
    "network", "packet", "router", "tcp", "http", "json", "html", "parser", "startup",
    "market", "price", "company", "money", "product", "user", "design", "team", "manager",
    "code", "review", "language", "type", "compiler", "garbage", "collector", "pointer",
    "lock", "mutex", "async", "await", "future", "science", "paper", "study", "result",
    "data", "model", "learning", "research", "energy", "climate", "solar", "battery", "car",
    "city", "housing", "rent", "tax", "law", "court", "policy", "privacy", "security",
    "password", "encryption", "key", "token", "email", "spam", "search", "engine", "ranking",
    "relevance", "vote", "karma", "history", "version", "change", "edit", "delete", "flag",
    "dead", "gone", "back", "snapshot", "export", "import",
)  # fmt: skip


def author_name(rank: int) -> str:
    """The author of Zipf rank ``rank`` (0 is the most prolific)."""
    return f"user{rank}"


class Generator:
    """Threads for an archive of about ``comments`` comments, in story-id order."""

    def __init__(self, comments: int, *, seed: int = 14) -> None:
        self.target = comments
        self.rng = random.Random(seed)
        weights = [1 / (r + 1) ** 1.1 for r in range(AUTHORS)]
        self.cum = list(itertools.accumulate(weights))
        self.next_comment = 10_000_000  # comment ids above every story id

    def threads(self) -> Iterator[Thread]:
        made = 0
        story = 1
        while made < self.target:
            size = SHOW_COMMENTS if story == 1 else self._size()
            size = min(size, self.target - made) if story > 1 else size
            yield self.thread(str(story), size)
            made += size
            story += 1

    def _size(self) -> int:
        lo, hi = math.log(MIN_THREAD), math.log(MAX_THREAD)
        return int(math.exp(self.rng.uniform(lo, hi)))

    def _author(self) -> str:
        rng = self.rng
        return author_name(
            min(AUTHORS - 1, bisect.bisect_left(self.cum, rng.random() * self.cum[-1]))
        )

    def _text(self) -> str:
        rng = self.rng
        n = int(rng.expovariate(1 / 25)) + 3
        words = rng.choices(_WORDS, k=n)
        # A rare word too, so the index has a long tail of terms.
        words.append(f"w{rng.randrange(1_000_000)}")
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), COMMON_WORD)
        else:
            words = [w for w in words if w != COMMON_WORD]
        return " ".join(words)

    def thread(self, story_id: str, size: int) -> Thread:
        rng = self.rng
        created = START + timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))
        fetched = created + timedelta(days=1)
        story = Story(
            site=SITE, id=story_id, title=f"Story {story_id}: {self._text()[:60]}",
            url=f"https://example.com/{story_id}", domain="example.com",
            author=self._author(), score=rng.randrange(1, 2000), comment_count=size,
            created_at=created, created_at_raw="1 day ago", kind="story",
        )  # fmt: skip
        # (id, depth, children so far) of each comment, to hang replies on.
        placed: list[tuple[str, int]] = []
        children: dict[str | None, int] = {}
        comments = []
        for k in range(size):
            parent: tuple[str, int] | None = None
            if placed and rng.random() < 0.7:
                parent = placed[int(len(placed) * rng.random() ** 0.5)]
                if parent[1] >= MAX_DEPTH:
                    parent = None
            cid = str(self.next_comment)
            self.next_comment += 1
            parent_id = parent[0] if parent else None
            position = children.get(parent_id, 0)
            children[parent_id] = position + 1
            depth = parent[1] + 1 if parent else 0
            text = self._text()
            comments.append(Comment(
                site=SITE, id=cid, story_id=story_id, parent_id=parent_id, depth=depth,
                position=position, author=self._author(),
                created_at=created + timedelta(seconds=60 * (k + 1)),
                created_at_raw="1 day ago", text_html=f"<p>{html.escape(text)}</p>",
                text=text, colour="c00",
            ))  # fmt: skip
            placed.append((cid, depth))
        return Thread(story=story, comments=tuple(comments), fetched_at=fetched)

