"""One thread as a standalone HTML page that is safe to open from anyone's archive.

A comment's ``text_html`` is whatever the site served, and an archive may hold pages
from an impostor server or a future site bug; the page treats it as hostile:

* bodies go through nh3 (the ammonia sanitiser) with an allow-list of the few tags a
  comment needs, links restricted to http, https and mailto;
* every other value (title, author, times, URLs) is HTML-escaped;
* a Content-Security-Policy forbids every script, frame, form, font and remote load,
  and allows only the page's own stylesheet, by hash. Were the sanitiser ever to let
  something through, the browser still would not run it.

Replies collapse with ``<details>``/``<summary>``, so the page needs no JavaScript and
no network: it reads the same offline in ten years.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import nh3

from archive import sites
from archive.export import display_time, flags_of, item_url, thread_forest, walk

ALLOWED_TAGS = frozenset(
    {"p", "a", "i", "em", "b", "strong", "code", "pre", "blockquote", "br", "ul", "ol", "li"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Relative links in a body (HN writes "item?id=N") point back into the site; resolved
# on the registry's base URL they still work from a file on disk. Bodies of a site the
# registry does not know drop them.

_CLEANERS: dict[str | None, nh3.Cleaner] = {}


def _cleaner(site: str | None) -> nh3.Cleaner:
    known = sites.SITES.get(site or "")
    base = known.public_url() + "/" if known is not None else None
    key = site if base else None
    if key not in _CLEANERS:
        _CLEANERS[key] = nh3.Cleaner(
            tags=set(ALLOWED_TAGS),
            # Only href survives, and only on <a>: no style, class, id or event handler.
            # "*" replaces ammonia's default attributes for every tag (lang, title).
            attributes={"a": {"href"}, "*": set()},
            url_schemes=set(URL_SCHEMES),
            link_rel="nofollow noopener noreferrer",
            # Dropped with their content, not just unwrapped: their text is code.
            clean_content_tags={"script", "style"},
            url_relative=("rewrite_with_base", base) if base else "deny",
        )
    return _CLEANERS[key]


def sanitize_html(fragment: str, *, site: str | None = None) -> str:
    """``fragment`` reduced to :data:`ALLOWED_TAGS`, with only safe ``a href`` links."""
    return _cleaner(site).clean(fragment)


STYLE = """
body { font: 15px/1.45 Verdana, Geneva, sans-serif; color: #222; background: #f6f6ef;
       max-width: 60em; margin: 0 auto; padding: 1em; }
header { border-bottom: 2px solid #ff6600; margin-bottom: 1em; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
h1 a { color: #000; text-decoration: none; }
.domain, .meta, summary, footer { color: #828282; font-size: .85em; }
.author { color: #3c3c3c; font-weight: bold; }
details { margin: .6em 0 0; }
details details { margin-left: 1.1em; padding-left: .7em; border-left: 1px solid #ddd; }
summary { cursor: pointer; }
.body { margin: .2em 0 0 1em; overflow-wrap: anywhere; }
.body p { margin: .5em 0 0; }
.body pre { white-space: pre-wrap; background: #eee; padding: .4em; }
.flag { color: #b00; }
.faded > .body, .dead > .body, .deleted > .body, .gone > .body { color: #888; }
footer { border-top: 1px solid #ddd; margin-top: 2em; padding-top: .5em; }
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
# default-src 'none' covers scripts, frames, fonts, fetches and objects; the one
# inline stylesheet is allowed by its hash, so even an injected <style> or style=""
# would not apply. Images only as data: URLs (none are emitted today).
CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_COLOUR = re.compile(r"c[0-9a-f]{2}")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: str | None, text: str) -> str:
    """An escaped ``<a>`` for an http(s) URL; just the text for anything else."""
    if url and re.match(r"https?://", url, re.IGNORECASE):
        return f'<a href="{_e(url)}" rel="nofollow noopener noreferrer">{text}</a>'
    return text


def _time(value: str | None, raw: str | None) -> str:
    if not value and not raw:
        return ""
    shown = display_time(value) or raw
    title = f' title="{_e(raw)}"' if raw and value else ""
    return f'<time datetime="{_e(value)}"{title}>{_e(shown)}</time>' if value else _e(shown)


def _flags(flags: list[str]) -> str:
    return "".join(f' <span class="flag">[{_e(flag)}]</span>' for flag in flags)


def _body(node: Mapping[str, Any], site: str) -> str:
    if node.get("text_html"):
        return sanitize_html(node["text_html"], site=site)
    if node.get("text"):
        paragraphs = [p for p in node["text"].split("\n\n") if p.strip()]
        return "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    return ""


def _header(story: Mapping[str, Any]) -> list[str]:
    title = _e(story.get("title") or "(no title)")
    h1 = _link(story.get("url"), title)
    if story.get("domain"):
        h1 += f' <span class="domain">({_e(story["domain"])})</span>'
    meta = []
    if story.get("score") is not None:
        meta.append(f"{_e(story['score'])} points")
    if story.get("author"):
        meta.append(f'by <span class="author">{_e(story["author"])}</span>')
    if story.get("created_at") or story.get("created_at_raw"):
        meta.append(_time(story.get("created_at"), story.get("created_at_raw")))
    archived = story.get("archived_count") or 0
    declared = story.get("comment_count")
    meta.append(f"{_e(archived)} comments archived"
                + (f" ({_e(declared)} declared)" if declared is not None else ""))  # fmt: skip
    origin = item_url(story["site"], story["id"])
    meta.append(_link(origin, f"{_e(story['site'])}/{_e(story['id'])}"))
    out = [
        f"<header><h1>{h1}</h1>",
        f'<p class="meta"{_source(story)}>{" · ".join(meta)}{_flags(flags_of(story))}</p>',
    ]
    if story.get("text_html") or story.get("text"):
        out.append(f'<div class="body">{_body(story, story["site"])}</div>')
    out.append("</header>")
    return out


def _source(row: Mapping[str, Any]) -> str:
    """The sources that observed the row (archive.sources), as a data attribute."""
    source = row.get("source")
    return f' data-source="{_e(source)}"' if source else ""


def _comment_open(node: Mapping[str, Any], site: str) -> str:
    classes = ["comment", *node["flags"]]
    colour = node.get("colour")
    if isinstance(colour, str) and _COLOUR.fullmatch(colour) and colour != "c00":
        classes.append("faded")
    head = f'<span class="author">{_e(node.get("author") or "(no author)")}</span>'
    when = _time(node.get("created_at"), None)
    if when:
        head += f" · {when}"
    return (
        f'<details open class="{" ".join(classes)}" id="c{_e(node["id"])}"{_source(node)}>'
        f"<summary>{head}{_flags(node['flags'])}</summary>"
        f'<div class="body">{_body(node, site)}</div>'
    )


def thread_html(story: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]) -> str:
    """The thread as one self-contained HTML page (inline CSS, no scripts, no network)."""
    site = story["site"]
    title = f"{story.get('title') or '(no title)'} | {site}/{story['id']}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # First in <head>: a CSP given by <meta> only covers what comes after it.
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        *_header(story),
        "<main>",
    ]
    colours = {c["id"]: c.get("colour") for c in comments}
    open_levels = 0
    # walk() is depth-first, so closing down to a comment's level before opening it
    # nests every reply inside its parent's <details> without recursion.
    for level, node in walk(thread_forest(comments)):
        out.extend(["</details>"] * (open_levels - level))
        out.append(_comment_open({**node, "colour": colours.get(node["id"])}, site))
        open_levels = level + 1
    out.extend(["</details>"] * open_levels)
    first_seen = _e(display_time(story.get("first_seen_at")))
    last_seen = _e(display_time(story.get("last_seen_at")))
    out += [
        "</main>",
        f"<footer>Archived by linkthread: first seen {first_seen}, last seen {last_seen}.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"
