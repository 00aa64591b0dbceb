"""Small Lobsters pages built in test code: a story's JSON (2024- form) and its HTML (the
2026-07 markup, the same skeleton Lobsters' _comment.html.erb renders), for the cases
that must always run (gone, edited, merged, deep) whether or not the corpus is present."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from html import escape

NOW = 1783665557  # the page's data-now-unix
POSTED = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
CENTRAL_SUMMER = timezone(timedelta(hours=-5))  # CDT, as Lobsters prints July times


@dataclass
class Node:
    """One comment of a generated thread."""

    id: str
    user: str = "alice"
    score: int = 3
    text: str = "Hello"
    edited: bool = False
    gone: str | None = None  # the placeholder, e.g. "Comment removed by author"
    moderated: bool = False
    merged_from: str | None = None  # the id of the merged story it was posted on
    children: list[Node] = field(default_factory=list)


def chain(n: int, prefix: str = "d") -> Node:
    """A thread n levels deep: each comment the only reply to the one before."""
    root = Node(id=f"{prefix}0")
    node = root
    for i in range(1, n):
        child = Node(id=f"{prefix}{i}", user=f"u{i}")
        node.children.append(child)
        node = child
    return root


def walk(nodes: list[Node], depth: int = 0,
         parent: str | None = None) -> Iterator[tuple[Node, int, str | None]]:
    for node in nodes:
        yield node, depth, parent
        yield from walk(node.children, depth + 1, node.id)


def _when(i: int) -> datetime:
    return POSTED + timedelta(hours=i)


def story_json(nodes: list[Node], *, sid: str = "abc123", submitter: str = "sub",
               comment_count: int | None = None) -> str:
    comments = []
    for i, (node, depth, parent) in enumerate(walk(nodes)):
        created = _when(i).astimezone(CENTRAL_SUMMER)
        edited = shown_at(i, node.edited).astimezone(CENTRAL_SUMMER)
        gone = node.gone is not None
        comments.append({
            "short_id": node.id, "short_id_url": f"https://lobste.rs/c/{node.id}",
            "created_at": created.isoformat(timespec="milliseconds"),
            "last_edited_at": edited.isoformat(timespec="milliseconds"),
            "is_deleted": gone, "is_moderated": node.moderated, "score": node.score,
            "flags": 0, "parent_comment": parent,
            "comment": f"<em>{node.gone}</em>" if gone else f"<p>{escape(node.text)}</p>\n",
            "comment_plain": node.gone if gone else node.text,
            "url": f"https://lobste.rs/s/{sid}/a_story#c_{node.id}", "depth": depth,
            "commenting_user": node.user,
        })
    active = sum(1 for c in comments if not c["is_deleted"])
    return json.dumps({
        "short_id": sid, "short_id_url": f"https://lobste.rs/s/{sid}",
        "created_at": POSTED.astimezone(CENTRAL_SUMMER).isoformat(timespec="milliseconds"),
        "title": "A story", "url": "https://example.com/a", "score": 9, "flags": 0,
        "comment_count": active if comment_count is None else comment_count,
        "description": "", "description_plain": "",
        "comments_url": f"https://lobste.rs/s/{sid}/a_story", "submitter_user": submitter,
        "user_is_author": False, "tags": ["programming", "meta"], "comments": comments,
    })


def shown_at(i: int, edited: bool) -> datetime:
    """The time row i's byline shows: its last edit (10 s after posting, or 5 min if edited)."""
    return _when(i) + (timedelta(minutes=5) if edited else timedelta(seconds=10))


def _comment_html(node: Node, order: dict[str, int], *, submitter: str) -> str:
    i = order[node.id]
    gone = node.gone is not None
    at = shown_at(i, node.edited)
    user_cls = ' class="user_is_submitter" aria-label="x - Submitter"' \
        if node.user == submitter else ""
    voters = "" if gone else (f'<div class="voters"><label class="comment_folder"></label>'
                              f'<a class="upvoter" title="{node.score}" href="/login">'
                              f'{node.score}</a></div>')
    merge = '<span class="merge"></span>' if node.merged_from else ""
    on = (f' | on: <a href="/s/{node.merged_from}/other_story">Other story</a>'
          if node.merged_from else "")
    body = (f'<p>\n<span class="na">\n[{escape(node.gone or "")}]\n</span>\n</p>' if gone
            else f"<p>{escape(node.text)}</p>\n")
    local = at.astimezone(CENTRAL_SUMMER).strftime("%Y-%m-%d %H:%M:%S")
    replies = "".join(_comment_html(c, order, submitter=submitter) for c in node.children)
    return (
        f'<li class="comments_subtree">\n'
        f'<input id="comment_folder_{node.id}" class="comment_folder_button" type="checkbox">\n'
        f'<div id="c_{node.id}" data-shortid="{node.id}" class="comment\n  \n  ">\n{voters}\n'
        f'<div class="details"><div class="byline"><a name="c_{node.id}"></a>\n{merge}'
        f'<span class=""><a tabindex="-1" href="/~{node.user}"><img class="avatar" alt=""></a>\n'
        f'<a{user_cls} href="/~{node.user}">{node.user}</a>\n'
        f'{"edited" if node.edited else ""}\n'
        f'<a href="/c/{node.id}"><time title="{local}" datetime="{local}" '
        f'data-at-unix="{int(at.timestamp())}">3 days ago</time></a>\n</span>{on}\n'
        f'<span class="flagger flagger_stub"></span><span class="reason"></span></div>\n'
        f'<div role="heading" aria-level="3" class="comment_text">{body}</div>\n'
        f'</div></div>\n<ol class="comments">{replies}</ol>\n</li>\n'
    )


def story_html(nodes: list[Node], *, sid: str = "abc123", submitter: str = "sub",
               comment_count: int | None = None, merged: str = "") -> str:
    """A story page; ``merged``: extra ``div.details`` blocks (stories merged into it)."""
    order = {n.id: i for i, (n, _, _) in enumerate(walk(nodes))}
    count = sum(1 for n, _, _ in walk(nodes) if n.gone is None) \
        if comment_count is None else comment_count
    label = "no comments" if count == 0 else f"{count} comment{'s' if count != 1 else ''}"
    threads = "".join(_comment_html(n, order, submitter=submitter) for n in nodes)
    posted = POSTED.astimezone(CENTRAL_SUMMER).strftime("%Y-%m-%d %H:%M:%S")
    return f"""<!doctype html>
<html lang="en"><head><title>A story | Lobsters</title></head>
<body data-username='' data-now-unix='{NOW}'>
<div id="inside">
<ol class="stories">
<li id="story_{sid}" data-shortid="{sid}" class="story">
<div class="story_liner h-entry">
  <div class="voters"><a class="upvoter" href="/login">9</a></div>
  <div class="details" id="header_story_x">
    <span role="heading" aria-level="1" class="link h-cite u-repost-of">
      <a href="https://example.com/a" rel="ugc noreferrer" class="u-url">A story</a>
    </span>
    <ul class="tags" aria-label="Tags">
      <li><a class="tag tag_programming" href="/t/programming">programming</a></li>
      <li><a class="tag tag_meta" href="/t/meta">meta</a></li>
    </ul>
    <a class="domain" href="/domains/example.com">example.com</a>
    <div class="byline">
      <span>via</span>
      <a tabindex="-1" href="/~{submitter}"><img class="avatar" alt=""></a>
      <a href="/~{submitter}">{submitter}</a>
      <time title="{posted}" datetime="{posted}" data-at-unix="{int(POSTED.timestamp())}">
        8 days ago</time>
      <span class="comments_label"><span aria-hidden="true"> | </span>
        <a role="heading" aria-level="2" href="#comments-{sid}">{label}</a></span>
    </div>
  </div>
  {merged}
</div>
</li>
</ol>
<ol class="comments comments1">
<li class="comments_subtree" id="comments-{sid}">
<ol class="comments" id="story_comments">
{threads}
</ol>
</li>
</ol>
</div>
</body>
</html>
"""


def merged_details(sid: str, title: str, user: str) -> str:
    """A story merged into the page's: its own details block, linking its /s/ID page."""
    return f"""<div class="details" id="header_story_{sid}">
    <span role="heading" aria-level="1" class="link h-cite u-repost-of">
      <a href="/s/{sid}/{title.lower().replace(' ', '_')}" class="u-url">{title}</a>
    </span>
    <ul class="tags"><li><a class="tag tag_meta" href="/t/meta">meta</a></li></ul>
    <div class="byline"><span>via</span><a href="/~{user}">{user}</a>
      <time title="2026-07-01 09:00:00" datetime="2026-07-01 09:00:00"
        data-at-unix="1782914400">9 days ago</time>
      <span class="comments_label"> | <a href="#c">2 comments</a></span></div>
  </div>"""


def deep_page(n: int) -> str:
    """A story page whose thread is n levels deep, built without recursion (so past
    Python's limit): the least markup per level the parser reads."""
    level = ('<li class="comments_subtree"><div id="c_d{i}" data-shortid="d{i}" class="comment">'
             '<div class="voters"><a class="upvoter" href="/login">1</a></div>'
             '<div class="details"><div class="byline"><a href="/~u{i}">u{i}</a> '
             '<a href="/c/d{i}"><time data-at-unix="1782907200">x</time></a></div>'
             '<div class="comment_text"><p>x</p></div></div></div><ol class="comments">')
    thread = "".join(level.format(i=i) for i in range(n)) + "</ol></li>" * n
    root = '<ol class="comments" id="story_comments">\n'
    return story_html([], comment_count=n).replace(root, root + thread)
