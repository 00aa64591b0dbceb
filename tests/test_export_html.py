"""The HTML export: sanitised bodies, escaped fields, a strict CSP, and a real browser
that opens a page full of script payloads and runs none of them.

The browser test needs Chromium (.ci/run installs it) and is skipped, with that
reason, only where it is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db, open_readonly
from archive.export_html import CSP, STYLE, sanitize_html, thread_html
from archive.query import load_thread
from archive.store import save_thread
from tests.test_store import make_comment, make_story, make_thread

# What every payload would do if it ran: change the title, and add a marker whose text
# appears nowhere in the page's source (it is only assembled by running the script).
JS = "document.title='pwned';document.body.append('XS'+'S-RAN')"
MARKER = "XSS-RAN"
BODY_PAYLOADS = (
    f"<script>{JS}</script>",
    f'<a href="javascript:{JS}">js link</a>',
    f'<img src=x onerror="{JS}">',
    f"<svg><script>{JS}</script></svg>",
    f'<svg onload="{JS}"></svg>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{JS}">',
    f'<iframe srcdoc="<script>{JS}</script>"></iframe>',
    f'<a href="data:text/html,<script>{JS}</script>">data link</a>',
    f'<a href="  JaVaScRiPt:{JS}">spaced</a><p style="background:url(javascript:x)">styled',
    f"<noscript><p title=\"</noscript><img src=x onerror='{JS}'>\">",
    f"<details open ontoggle=\"{JS}\">toggle</details><form><button formaction='javascript:x'>b",
)
TITLE = f"</title><script>{JS}</script> <b>Bold?</b>"
AUTHOR = f'<img src=x onerror="{JS}">'
DANGEROUS_TAGS = {"script", "iframe", "svg", "math", "img", "object", "embed", "form", "mglyph",
                  "button", "input", "base", "link", "noscript", "template"}  # fmt: skip


def payload_thread(path: Path) -> None:
    db = open_db(path)
    comments = (
        *(
            make_comment(
                str(10 + i), position=i, author=AUTHOR if i == 0 else f"user{10 + i}",
                text=f"Visible words {i}", text_html=f"<p>Visible words {i}</p>{payload}",
            )
            for i, payload in enumerate(BODY_PAYLOADS)
        ),
        make_comment("30", parent="10", depth=1, text="A safe reply",
                     text_html='<p>A safe reply with <a href="item?id=5">a link</a>'
                     '<pre><code>x &lt; y</code></pre>'),
    )  # fmt: skip
    story = make_story(
        title=TITLE, author=AUTHOR, url=f"javascript:{JS}", domain=f"<i>{JS}</i>",
        text_html=f"<p>Story text</p><script>{JS}</script>", text="Story text",
    )  # fmt: skip
    save_thread(db, make_thread(comments, story=story))
    db.close()


@pytest.fixture
def page(tmp_path: Path) -> Path:
    db = tmp_path / "a.db"
    payload_thread(db)
    out = tmp_path / "thread.html"
    result = CliRunner().invoke(
        cli, ["export", "hn", "100", "--format", "html", "-o", str(out), "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    return out


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data


def parse(document: str) -> Elements:
    parser = Elements()
    parser.feed(document)
    parser.close()
    return parser


def assert_inert(document: str) -> Elements:
    """No element or attribute that could run code, load anything or submit anything."""
    doc = parse(document)
    names = [tag for tag, _ in doc.tags]
    assert not DANGEROUS_TAGS & set(names), DANGEROUS_TAGS & set(names)
    assert names.count("style") == 1  # the page's own, in <head>
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("style", "srcdoc", "src", "formaction", "action"), (tag, name)
            if name == "href":
                assert re.match(r"(https?|mailto):", value or "", re.IGNORECASE), value
        if tag == "a":
            assert attrs.get("rel") == "nofollow noopener noreferrer"
    assert MARKER not in document
    return doc


def test_sanitize_html_allow_list() -> None:
    assert sanitize_html(BODY_PAYLOADS[0]) == ""
    rel = 'rel="nofollow noopener noreferrer"'
    assert sanitize_html(BODY_PAYLOADS[1]) == f"<a {rel}>js link</a>"
    assert sanitize_html(BODY_PAYLOADS[5]) == ""
    assert sanitize_html(BODY_PAYLOADS[7]) == f"<a {rel}>data link</a>"
    assert sanitize_html('<p>a<a href="https://x.org/?a=1&amp;b" title="t">x</a> <i>i</i>') == (
        f'<p>a<a href="https://x.org/?a=1&amp;b" {rel}>x</a> <i>i</i></p>'
    )
    assert sanitize_html('<a href="mailto:a@b.c">m</a><a href="ftp://x">f</a>') == (
        f'<a href="mailto:a@b.c" {rel}>m</a><a {rel}>f</a>'
    )
    # A known site's relative links point back into it; elsewhere they are dropped.
    assert sanitize_html('<a href="item?id=5">r</a>', site="hn") == (
        f'<a href="https://news.ycombinator.com/item?id=5" {rel}>r</a>'
    )
    assert sanitize_html('<a href="/~pushcx">r</a>', site="lobsters") == (
        f'<a href="https://lobste.rs/~pushcx" {rel}>r</a>'
    )
    assert sanitize_html('<a href="/r/aww">r</a>', site="reddit") == (
        f'<a href="https://www.reddit.com/r/aww" {rel}>r</a>'  # not the API's host
    )
    assert sanitize_html('<a href="item?id=5">r</a>', site="digg") == f"<a {rel}>r</a>"
    assert sanitize_html('<a href="item?id=5">r</a>') == f"<a {rel}>r</a>"
    kept = "<blockquote><ul><li><b>b</b><strong>s</strong><em>e</em><br></li></ul></blockquote>"
    assert sanitize_html(kept + "<ol><li><code>c</code></li></ol><pre>p</pre>") == (
        kept + "<ol><li><code>c</code></li></ol><pre>p</pre>"
    )


def test_page_is_inert_escaped_and_complete(page: Path, tmp_path: Path) -> None:
    document = page.read_text(encoding="utf-8")
    doc = assert_inert(document)
    text = "".join(doc.text)
    assert doc.title == f"{TITLE} | hn/100"
    assert f"{TITLE} | hn/100" in text  # the title, as text, in <title> and <h1>
    assert text.count(AUTHOR) == 2  # story author and comment author, as text
    for i in range(len(BODY_PAYLOADS)):
        assert f"Visible words {i}" in text
    assert "A safe reply with a link" in text and "x < y" in text
    # The javascript: story URL is not a link; the page links to the thread on HN.
    hrefs = [attrs["href"] for tag, attrs in doc.tags if tag == "a" and "href" in attrs]
    assert hrefs == [
        "https://news.ycombinator.com/item?id=100",
        "https://news.ycombinator.com/item?id=5",
    ]
    # A strict CSP comes first in <head>: nothing but the page's own stylesheet, by hash.
    head = [tag for tag, _ in doc.tags][:4]
    assert head == ["html", "head", "meta", "meta"]
    csp = doc.tags[3][1]
    assert csp["http-equiv"] == "Content-Security-Policy"
    assert csp["content"] == CSP
    assert CSP.startswith("default-src 'none'; style-src 'sha256-") and "script" not in CSP
    assert f"<style>{STYLE}</style>" in document
    # Replies sit inside their parent's <details>.
    assert document.count("<details open") == len(BODY_PAYLOADS) + 1
    assert re.search(r'id="c10"[ >].*?<details open class="comment" id="c30"[ >]', document,
                     re.S)


def test_html_export_of_an_empty_thread(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, make_thread((), story=make_story(title=None, url=None)))
    db.close()
    conn = open_readonly(tmp_path / "a.db")
    document = thread_html(*load_thread(conn, "hn", "100"))
    conn.close()
    assert parse(document).title == "(no title) | hn/100"
    assert "<details" not in document and "0 comments archived (3 declared)" in document


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(page: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox",
         f"--user-data-dir={tmp_path / 'profile'}", *flags, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.e2e
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_chromium_runs_no_payload(page: Path, tmp_path: Path) -> None:
    # The control: the same check does see a script that runs.
    control = tmp_path / "control.html"
    control.write_text(f"<title>t</title><body><script>{JS}</script></body>")
    ran = chromium(control, tmp_path, "--dump-dom")
    assert MARKER in ran.stdout and "<title>pwned</title>" in ran.stdout, ran.stderr

    dumped = chromium(page, tmp_path, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr
    assert "pwned</title>" not in dumped.stdout
    doc = assert_inert(dumped.stdout)
    assert doc.title == f"{TITLE} | hn/100"
    text = "".join(doc.text)
    for i in range(len(BODY_PAYLOADS)):
        assert f"Visible words {i}" in text
    assert "A safe reply with a link" in text

    shot = tmp_path / "out.png"
    taken = chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2000")
    assert taken.returncode == 0, taken.stderr
    assert shot.stat().st_size > 0
    assert shot.read_bytes().startswith(b"\x89PNG")
