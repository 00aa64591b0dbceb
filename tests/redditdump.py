"""Generated Reddit dumps (NDJSON, zstd) and the truth an import of them must give.

Shaped like Arctic Shift's files: one object a line, the fields the dumps carry
(``id``, ``name``, ``link_id``, ``parent_id``, ``author``, ``body``, ``created_utc``,
``edited``, ``score``, ``subreddit``, ``distinguished``, ``stickied``,
``retrieved_on``, ``_meta`` on some), ``created_utc`` a string on some lines as in
Pushshift's older files, deleted and removed comments among them. Comments come in
time order, as a monthly file does, but for a share moved later in the file, so that
a reply is read before its parent; some comments are left out of the file altogether,
so that their replies' parents are missing.

The truth is worked out here, from the generated tree, without the archive's code: each
comment's parent, depth (a comment whose parent is missing sits at depth 1 under it,
its replies below) and position (siblings in time order, then by id).
"""

from __future__ import annotations

import html
import io
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import zstandard

from tests.redditpages import base36 as b36

START = 1_700_000_000  # created_utc of the first post
WORDS = ("archive", "thread", "reply", "python", "sqlite", "link", "vote", "karma", "post",
         "river", "garden", "orbit", "copper", "lantern", "meadow", "harbor")


@dataclass(frozen=True, slots=True, kw_only=True)
class Dump:
    comments_path: Path
    submissions_path: Path
    # id -> (story_id, parent_id, depth, position, parent missing, the line's object)
    truth: dict[str, tuple]
    stories: dict[str, tuple]  # id -> (title, score, num_comments, subreddit)
    missing: frozenset[str]  # comments left out of the file: the missing parents
    subreddits: tuple[str, ...]


def _iso(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(folder: Path, *, comments: int = 300_000, threads: int = 3_000,
             seed: int = 12, missing_share: float = 0.005, late_share: float = 0.02,
             marker: str = "zebrafish", truth: bool = True,
             first_id: int = 36**5) -> Dump:  # fmt: skip
    """Write ``RS_gen.zst`` and ``RC_gen.zst`` into ``folder``; return their truth
    (``truth=False``: an empty one, for a benchmark's millions of lines). Comment ids
    count from ``first_id``: two dumps with other ones hold other comments."""
    rnd = random.Random(seed)
    subreddits = ("python", "sqlite", "datahoarder", "AskHistorians")
    story_ids = [b36(36**4 + 7 * i) for i in range(threads)]
    story_time = {s: START + i * 60 for i, s in enumerate(story_ids)}
    story_sub = {s: subreddits[i % len(subreddits)] for i, s in enumerate(story_ids)}
    # Each comment: (created, id, story, parent or None). Replies come after parents.
    made: list[tuple[int, str, str, str | None]] = []
    by_story: dict[str, list[tuple[int, str]]] = {s: [] for s in story_ids}
    for n in range(comments):
        story = story_ids[min(int(rnd.paretovariate(1.2)) - 1, threads - 1)
                          if rnd.random() < 0.5 else rnd.randrange(threads)]
        cid = b36(first_id + n)
        known = by_story[story]
        base = story_time[story]
        if known and rnd.random() < 0.7:
            ptime, parent = known[rnd.randrange(max(0, len(known) - 50), len(known))]
            created = max(ptime, base) + rnd.randrange(1, 600)
        else:
            parent, created = None, base + rnd.randrange(1, 3_600)
        # Same second as a sibling sometimes: ties are broken by id.
        known.append((created, cid))
        made.append((created, cid, story, parent))
    missing = frozenset(cid for _, cid, _, _ in made if rnd.random() < missing_share)
    kept = sorted((m for m in made if m[1] not in missing), key=lambda m: (m[0], m[1]))
    # A share of comments is written later in the file than their time says.
    late = [m for m in kept if rnd.random() < late_share]
    late_ids = {m[1] for m in late}
    order = [m for m in kept if m[1] not in late_ids] + late
    shape = _truth(kept, missing) if truth else {}
    known: dict[str, tuple] = {}

    def lines() -> Iterator[bytes]:
        for created, cid, story, parent in order:
            data = _comment(rnd, created, cid, story, parent, story_sub[story], marker)
            if truth:
                known[cid] = (*shape[cid], data)
            yield json.dumps(data).encode()

    comments_path = folder / "RC_gen.zst"
    _write_zst(comments_path, lines())
    counts: dict[str, int] = {}
    for _, _, story, _ in made:
        counts[story] = counts.get(story, 0) + 1
    stories = {}
    story_lines = []
    for s in story_ids[: threads - threads // 10]:  # a tenth have no submission line
        title = f"Post {s} about {rnd.choice(WORDS)}"
        score = rnd.randrange(0, 5000)
        stories[s] = (title, score, counts.get(s, 0), story_sub[s])
        story_lines.append(json.dumps({
            "id": s, "name": f"t3_{s}", "title": title, "selftext": "", "url":
            f"https://example.org/{s}", "author": f"poster{rnd.randrange(500)}",
            "created_utc": story_time[s], "retrieved_on": story_time[s] + 86_400,
            "score": score, "num_comments": counts.get(s, 0), "subreddit": story_sub[s],
            "permalink": f"/r/{story_sub[s]}/comments/{s}/post/", "over_18": False,
        }).encode())
    submissions_path = folder / "RS_gen.zst"
    _write_zst(submissions_path, story_lines)
    return Dump(comments_path=comments_path, submissions_path=submissions_path,
                truth=known, stories=stories, missing=missing, subreddits=subreddits)


# Texts drawn from, made once: a word a call to random is most of the generator's time.
_BODIES = tuple(" ".join(random.Random(i).choices(WORDS, k=5 + i % 35)) for i in range(997))


def _comment(rnd: random.Random, created: int, cid: str, story: str,
             parent: str | None, subreddit: str, marker: str) -> dict:
    roll = rnd.random()
    author = f"user{int(rnd.random() * 20_000)}"
    words = _BODIES[int(rnd.random() * len(_BODIES))]
    body = f"{words} {marker}{cid}" if roll > 0.05 else ("[deleted]" if roll < 0.02
                                                        else "[removed]")  # fmt: skip
    if body == "[deleted]":
        author = "[deleted]"
    edited: int | bool = created + 300 if rnd.random() < 0.05 else False
    data = {
        "id": cid, "name": f"t1_{cid}", "link_id": f"t3_{story}",
        "parent_id": f"t1_{parent}" if parent else f"t3_{story}",
        "author": author, "body": body,
        "created_utc": str(created) if rnd.random() < 0.1 else created,
        "edited": edited, "score": int(rnd.random() * 505) - 5, "subreddit": subreddit,
        "subreddit_id": f"t5_{b36(abs(hash(subreddit)) % 10**6)}", "distinguished": None,
        "stickied": False, "controversiality": 0, "retrieved_on": created + 3_600,
    }
    if rnd.random() < 0.1:
        data["_meta"] = {"retrieved_2nd_on": created + 86_400 * 30,
                         "was_deleted_later": rnd.random() < 0.3}
    return data


def _truth(kept: list[tuple[int, str, str, str | None]],
           missing: frozenset[str]) -> dict[str, tuple]:
    parent_of = {cid: parent for _, cid, _, parent in kept}
    siblings: dict[tuple[str, str | None], list[tuple[int, int, str]]] = {}
    for created, cid, story, parent in kept:
        siblings.setdefault((story, parent), []).append((created, len(cid), cid))
    position = {}
    for group in siblings.values():
        for i, (_, _, cid) in enumerate(sorted(group)):
            position[cid] = i
    depth: dict[str, int] = {}
    for _, cid, _, _ in kept:  # time order: a parent's depth is known before its reply's
        parent = parent_of[cid]
        depth[cid] = 0 if parent is None else (1 if parent in missing else depth[parent] + 1)
    return {cid: (story, parent, depth[cid], position[cid], parent in missing)
            for _, cid, story, parent in kept}


def _write_zst(path: Path, lines: Iterable[bytes]) -> None:
    # A long window, as the real dumps use: what the reader's max_window_size is for.
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
    compressor = zstandard.ZstdCompressor(compression_params=params)
    with path.open("wb") as fh, compressor.stream_writer(fh) as out:
        for line in lines:
            out.write(line + b"\n")


# --- small hand-made dumps, for the hostile-input tests (tests/test_import_hostile_*) --


def comment(cid: str, parent: str | None = None, *, story: str = "post", at: int = START,
            **fields: object) -> dict:
    """One comment line's object: a reply to ``parent`` (a comment id), else to the post."""
    data: dict = {"id": cid, "name": f"t1_{cid}", "link_id": f"t3_{story}",
                  "parent_id": f"t1_{parent}" if parent else f"t3_{story}",
                  "author": f"user_{cid}", "body": f"text of {cid}", "created_utc": at,
                  "retrieved_on": at + 3_600, "score": 1, "subreddit": "python"}
    data.update(fields)
    return data


def submission(sid: str, *, at: int = START, **fields: object) -> dict:
    data: dict = {"id": sid, "name": f"t3_{sid}", "title": f"Post {sid}", "selftext": "",
                  "num_comments": 0, "author": "poster", "created_utc": at,
                  "retrieved_on": at + 3_600, "score": 10, "subreddit": "python",
                  "permalink": f"/r/python/comments/{sid}/post/"}
    data.update(fields)
    return data


def ndjson(objects: Iterable[dict]) -> bytes:
    """The objects one a line, each line ended by a newline."""
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def zst(data: bytes, *, frames: int = 1) -> bytes:
    """``data`` compressed with zstd as ``frames`` frames, each cut at a line's end
    (as ``zstd`` writes a file given in parts, or ``cat a.zst b.zst`` makes one)."""
    lines = data.splitlines(keepends=True)
    step = max(1, -(-len(lines) // frames))
    compressor = zstandard.ZstdCompressor()
    return b"".join(compressor.compress(b"".join(lines[i:i + step]))
                    for i in range(0, len(lines), step))


def consistency_problems(db: Path) -> list[str]:
    """What is wrong with the comments of an archive a dump was imported into, worked
    out from the rows alone: a comment without its story, a depth that does not follow
    from its parent (a parent of the same thread: depth + 1; none: 0; one not in the
    archive, or a cycle of parents: 1, with the parent_missing marker), rows left
    staged, an import left unfinished, or a full-text index that does not hold every
    comment."""
    import sqlite3

    out: list[str] = []
    with sqlite3.connect(db) as conn:
        for (cid,) in conn.execute("select c.id from comments c left join stories s on"
                                   " s.site = c.site and s.id = c.story_id where s.id is null"):
            out.append(f"comment {cid}: no story")
        found = conn.execute(
            "select c.id, c.depth, c.parent_id, p.depth, c.extra ->> '$.parent_missing'"
            " from comments c left join comments p on p.site = c.site and"
            " p.id = c.parent_id and p.story_id = c.story_id").fetchall()
        parent_of = {cid: parent for cid, _, parent, pdepth, _ in found
                     if pdepth is not None}

        def in_cycle(cid: str) -> bool:
            seen = set()
            while cid in parent_of and cid not in seen:
                seen.add(cid)
                cid = parent_of[cid]
            return cid in seen

        for cid, depth, parent, pdepth, missing in found:
            if parent is None:
                expected, marked = 0, None
            elif pdepth is None or in_cycle(cid):  # no way up to the story: an orphan
                expected, marked = 1, 1
            else:
                expected, marked = pdepth + 1, None
            if (depth, missing) != (expected, marked):
                out.append(f"comment {cid}: depth {depth}, marker {missing}; expected "
                           f"{expected}, {marked}")
        staged = conn.execute("select count(*) from import_comments").fetchone()[0]
        if staged:
            out.append(f"{staged} rows left staged")
        for path, state in conn.execute("select path, state from import_progress"
                                        " where state <> 'done'"):
            out.append(f"{path}: import left {state}")
        comments, indexed = conn.execute(
            "select (select count(*) from comments),"
            " (select count(*) from comments_fts)").fetchone()
        if comments != indexed:
            out.append(f"{comments} comments, {indexed} in the full-text index")
    return out


# --- the producers' and years' shapes of a line (tests/test_dump_real_*) ---------------
# Each takes a line as comment() / submission() make it (today's Arctic Shift fields) and
# gives it the fields of one producer and era, as their files hold them: the schemas
# Arctic Shift publishes of every month's files and the readers of the Pushshift dumps.
# ``n`` (the line's number) picks among the era's variants, so a file holds them all.


def _pushshift_2005(data: dict, n: int) -> dict:
    # RC_2005-12 .. 2006: ups beside score, gilded, no name, no permalink.
    if "id" in data:
        data.pop("name", None)
    return {**data, "ups": data.get("score"), "gilded": 0, "controversiality": 0,
            "edited": False, "distinguished": None, "stickied": False,
            "author_flair_text": None, "subreddit": "reddit.com", "subreddit_id": "t5_6"}


def _pushshift_string_time(data: dict, n: int) -> dict:
    # Months of 2006-2016: created_utc a string; edited false, true or an epoch (int or
    # float); about 1% of the lines the API's whole object, body_html with them.
    at = int(data["created_utc"])
    data = {**data, "created_utc": str(at),
            "edited": (False, at + 500, float(at) + 600.5, True)[n % 4]}
    if n % 10 == 9:
        # Reddit's escaping of the body's Markdown, and of the HTML made from it.
        page = f'<div class="md"><p>{data["body"]}</p>\n</div>'
        data.update(created=float(at - 28_800), replies="", likes=None, saved=False,
                    body_html=html.escape(page, quote=False))
    return data


def _float_time(data: dict, n: int) -> dict:
    # Float epochs (submissions of 2006-2010, some comment months).
    at = int(data["created_utc"])
    return {**data, "created_utc": float(at), "retrieved_on": float(at + 3_600),
            "edited": (False, at + 77.25)[n % 2]}


def _ups_downs(data: dict, n: int) -> dict:
    # No score, or a null one, where ups and downs are given.
    score = data.pop("score", 0) or 0
    data = {**data, "ups": score + 2, "downs": 2}
    if n % 2:
        data["score"] = None
    return data


def _fullname_only(data: dict, n: int) -> dict:
    # The t1_/t3_ fullname, no bare id.
    thing = data.pop("id")
    kind = "t3" if "title" in data else "t1"
    return {**data, "name": f"{kind}_{thing}"}


def _retrieved_utc(data: dict, n: int) -> dict:
    # Pushshift 2019-2022: retrieved_utc (retrieved_on absent or null), updated_utc,
    # utc_datetime_str, nest_level, body_sha1, permalink on comments.
    at = int(data["created_utc"])
    data = {**data, "retrieved_utc": at + 5, "updated_utc": at + 9, "nest_level": 1,
            "utc_datetime_str": _iso(at).replace("T", " ").rstrip("Z")}
    if n % 3:
        data.pop("retrieved_on", None)
    else:
        data["retrieved_on"] = None
    return data


def _arctic_shift(data: dict, n: int) -> dict:
    # Arctic Shift 2023-11+: keys sorted, _meta of the second retrieval 36 hours later.
    at = int(data["created_utc"])
    meta: dict = {"retrieved_2nd_on": at + 36 * 3_600}
    if n % 4 == 0:
        meta.update(was_deleted_later=True, removal_type="deleted")
    elif n % 4 == 1:
        meta.update(was_initially_deleted=True, removal_type="removed")
    elif n % 4 == 2 and "body" in data:
        data = {**data, "body": "[removed]"}
        meta["removal_type"] = "removed by reddit"
    return dict(sorted({**data, "retrieved_on": at + 60, "_meta": meta}.items()))


def _authors_and_states(data: dict, n: int) -> dict:
    # author null, [deleted] or missing; body null, [deleted] or [removed]; no
    # distinguished or stickied (most years before 2016).
    data = {k: v for k, v in data.items() if k not in ("distinguished", "stickied")}
    text = "body" if "body" in data else "selftext"
    change = ({"author": None}, {"author": "[deleted]"}, {"author": ...},
              {"author": "[deleted]", text: "[deleted]"}, {text: "[removed]"},
              {text: None} if text == "body" else {text: "kept"})[n % 6]
    for key, value in change.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _prefixless(data: dict, n: int) -> dict:
    # link_id without t3_, parent_id without t1_.
    if "link_id" not in data:
        return data
    if n % 3 == 0:
        return {**data, "link_id": data["link_id"].removeprefix("t3_")}
    if n % 3 == 1 and data["parent_id"].startswith("t1_"):
        return {**data, "parent_id": data["parent_id"].removeprefix("t1_")}
    return data


def _old_submission(data: dict, n: int) -> dict:
    # Submissions of 2005-2010: no permalink, no is_self, a string or float created_utc,
    # no retrieved_on (RS_2005-06); promoted posts with no subreddit or author, no score.
    if "title" not in data:
        return data
    at = int(data["created_utc"])
    data = {k: v for k, v in data.items() if k not in ("permalink", "is_self", "retrieved_on")}
    data["created_utc"] = (str(at), float(at))[n % 2]
    if n % 3 == 2:
        data = {k: v for k, v in data.items() if k not in ("subreddit", "author", "score")}
        data.update(promoted=True, ups=7, downs=0)
    return data


ERAS = {"pushshift_2005": _pushshift_2005, "pushshift_string_time": _pushshift_string_time,
        "float_time": _float_time, "ups_downs": _ups_downs, "fullname_only": _fullname_only,
        "retrieved_utc": _retrieved_utc, "arctic_shift": _arctic_shift,
        "authors_and_states": _authors_and_states, "prefixless": _prefixless,
        "old_submission": _old_submission}  # fmt: skip


def era_lines(era: str, *, threads: int = 4, per_thread: int = 24, first: int = 0,
              seed: int = 3) -> tuple[list[dict], list[dict]]:
    """(submissions, comments) of ``threads`` threads in ``era``'s shape: replies to
    earlier comments of the thread or to the post, ids counted from ``first``."""
    rnd = random.Random(seed)
    shape = ERAS[era]
    posts, comments = [], []
    n = first
    for t in range(threads):
        sid = b36(36**4 + first + t)
        at = START + (first + t) * 1_000
        posts.append(shape(submission(sid, at=at, url=f"https://example.org/{sid}",
                                      is_self=False, num_comments=per_thread), first + t))
        ids: list[str] = []
        for _ in range(per_thread):
            cid = b36(36**5 + n)
            parent = rnd.choice(ids) if ids and rnd.random() < 0.6 else None
            line = comment(cid, parent, story=sid, at=at + n, score=rnd.randrange(-5, 50),
                           body=f"text &amp; {cid} &lt;b&gt;", distinguished=None,
                           stickied=False)
            comments.append(shape(line, n))
            ids.append(cid)
            n += 1
    return posts, comments


def zst_long(data: bytes) -> bytes:
    """``data`` as one zstd frame whose header asks for a 2 GiB window (``zstd
    --long=31``, as the dumps are written): a decoder left at zstd's default limit
    (128 MiB) refuses it. Written as a stream, so the frame holds no content size that
    would let a decoder take a smaller window."""
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31,
                                                            enable_ldm=True)  # fmt: skip
    out = io.BytesIO()
    with zstandard.ZstdCompressor(compression_params=params).stream_writer(
            out, closefd=False) as writer:  # fmt: skip
        writer.write(data)
    return out.getvalue()
