"""The HN listing parser over the real front pages of the shared corpus (2010-2026 markup)
and over hand-written and generated pages (page 2, throttle, item pages, URL naming)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from archive.models import Listing
from scraper.parsers.errors import ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.hn.listing import listing_name_and_page, parse_listing
from tests import hnpages
from tests.corpus import corpus_dir, corpus_text

HN = "https://news.ycombinator.com"
NEWS = f"{HN}/news"
# A fixed "now" for relative ages; the pages' own capture dates are in SOURCES.tsv.
FETCHED = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)

# name -> (More link, served as "/x?fnid=9LO1ba1swy", "news2", "news?p=2" or "?p=2", made
# absolute against NEWS; ranks of job rows: no score, no author), read off each page by
# hand (SOURCES.tsv and a grep for subtexts without "points" agree).
PAGES = {
    "news-2010-08.html": (f"{HN}/x?fnid=9LO1ba1swy", set()),
    "news-2012-03.html": (f"{HN}/news2", {27}),
    "news-2015-04.html": (f"{HN}/news?p=2", {19}),
    "news-2015-06.html": (f"{HN}/news?p=2", {22}),
    "news-2021-10-18.html": (f"{HN}/news?p=2", {6}),
    "news-2022-09-28.html": (f"{HN}/news?p=2", {28}),
    "news-2026-01-11.html": (f"{HN}/news?p=2", set()),
    "news-2026-03-10-loggedin.html": (f"{HN}/news?p=2", set()),
    "news-2026-03-11-blackbar.html": (f"{HN}/news?p=2", set()),
}
# name -> (story id, title, score, author, comment count) of the first row.
FIRST = {
    "news-2010-08.html": ("1645934", "Seaswarm: we can clean up the Gulf in a month", 30,
                          "IgorPartola", 10),
    "news-2012-03.html": ("3746692", "Poll: What's Your Favorite Programming Language?",
                          1769, "GreekOphion", 458),
    "news-2015-04.html": ("9345215", "Remotely send Chrome and Node.js into infinite loops "
                          "via OS X kernel bug", 160, "kentonv", 33),
    "news-2015-06.html": ("9680982", "\u201cSwift will be open source later this year\u201d",
                          824, "brbcoding", 334),
    "news-2021-10-18.html": ("28908383", "MacBook Pro 14-inch and MacBook Pro 16-inch", 905,
                             "0xedb", 1182),
    "news-2022-09-28.html": ("33005585", "High-performance image generation using Stable "
                             "Diffusion in KerasCV", 61, "tosh", 8),
    "news-2026-01-11.html": ("46578497", "Meta Announces Nuclear Energy Projects, Unlocking "
                             "Up to 6.6 GW", 16, "ChrisArchitect", 2),
    "news-2026-03-10-loggedin.html": ("47324054", "Tony Hoare has died", 584, "speckx", 63),
    "news-2026-03-11-blackbar.html": ("47335237", "Lego's 0.002 mm Specification and Its "
                                      "Implications for Manufacturing (2025)", 104, "scrlk", 65),
}


def parse_page(name: str, url: str = NEWS) -> Listing:
    return parse_listing(corpus_text("hn", name), url=url, fetched_at=FETCHED)


def test_every_front_page_of_the_corpus_is_listed_here() -> None:
    found = {p.name for p in corpus_dir("hn").glob("news-*.html")}
    assert found == set(PAGES)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_front_page_rows(name: str) -> None:
    listing = parse_page(name)
    html = corpus_text("hn", name)
    more, jobs = PAGES[name]
    entries = listing.entries
    assert (listing.site, listing.name, listing.page, listing.url) == ("hn", "news", 1, NEWS)
    assert listing.fetched_at == FETCHED
    # Every page of the corpus shows 30 rows: one subtext cell each.
    assert len(entries) == 30 == len(re.findall(r"class=[\"']?subtext", html))
    assert [e.rank for e in entries] == list(range(1, 31))
    assert len({e.story_id for e in entries}) == 30
    assert all(e.title for e in entries)
    assert {e.rank for e in entries if e.kind == "job"} == jobs
    for e in entries:
        if e.kind == "job":
            assert e.score is None and e.author is None and e.comment_count is None
        else:
            assert e.score is not None and e.author, e
            assert e.comment_count is not None, e
        assert e.created_at is not None and e.created_at_raw, e
        assert e.url is None or e.url.startswith("http"), e
        assert e.domain is None or (e.url is not None and "." in e.domain), e
    # The ids the page prints (score_N, in every era) are the rows' ids, in page order.
    assert [e.story_id for e in entries if e.kind != "job"] == \
        re.findall(r"id=[\"']?score_(\d+)", html)
    assert listing.next_url == more
    sid, title, score, author, comments = FIRST[name]
    first = entries[0]
    assert (first.story_id, first.title, first.score, first.author, first.comment_count) == \
        (sid, title, score, author, comments)


def test_a_bare_query_more_link_resolves_against_the_page_url() -> None:
    # 2026's "?p=2" keeps the page's path: from the root it stays at the root.
    assert parse_page("news-2026-01-11.html", url=f"{HN}/").next_url == f"{HN}/?p=2"


def test_ages_from_titles_and_from_relative_text() -> None:
    old = parse_page("news-2010-08.html").entries[0]
    assert (old.created_at, old.created_at_raw) == (FETCHED - timedelta(hours=1), "1 hour ago")
    iso = parse_page("news-2021-10-18.html").entries[0]
    assert iso.created_at == datetime(2021, 10, 18, 17, 51, 39, tzinfo=UTC)
    assert iso.created_at_raw == "2021-10-18T17:51:39"
    epoch = parse_page("news-2026-01-11.html").entries[0]
    assert epoch.created_at == datetime.fromtimestamp(1768157372, UTC)
    assert epoch.created_at_raw == "2026-01-11T18:49:32 1768157372"


def test_kinds_urls_and_domains() -> None:
    rows = {e.rank: e for e in parse_page("news-2026-01-11.html").entries}
    ask = rows[3]
    assert (ask.kind, ask.url, ask.domain, ask.story_id) == ("ask", None, None, "46577242")
    assert rows[20].kind == "show" and rows[20].domain == "pieterma.es"
    assert rows[1].url == ("https://about.fb.com/news/2026/01/meta-nuclear-energy-projects-"
                           "power-american-ai-leadership/") and rows[1].domain == "fb.com"
    # 2010 markup: the domain is only the "(hackaday.com)" comhead text.
    assert parse_page("news-2010-08.html").entries[0].domain == "hackaday.com"


def test_job_rows_of_every_era() -> None:
    # 2015-04: a self-post job ad whose only id is its own title link.
    job = parse_page("news-2015-04.html").entries[18]
    assert (job.story_id, job.url, job.kind) == ("9345633", None, "job")
    assert job.title == "Upverter is hiring Hardware Engineers"
    # 2021: the row's tr.athing id.
    assert parse_page("news-2021-10-18.html").entries[5].story_id == "28912274"
    # 2012-03 and 2015-06: an outside link and no id anywhere on the row: a stable
    # synthetic id, the same on every parse.
    for name, rank in (("news-2012-03.html", 27), ("news-2015-06.html", 22)):
        a, b = parse_page(name).entries[rank - 1], parse_page(name).entries[rank - 1]
        assert a.kind == "job" and a.story_id.startswith("job-") and a.story_id == b.story_id
        assert a.url is not None and a.url.startswith("http")


def test_memorial_bar_and_logged_in_pages_give_the_same_rows() -> None:
    for name in ("news-2026-03-11-blackbar.html", "news-2026-03-10-loggedin.html"):
        html = corpus_text("hn", name)
        assert 'bgcolor="#000000"' in html
        entries = parse_page(name).entries
        assert [e.rank for e in entries] == list(range(1, 31))
        assert all(e.story_id.isdigit() and e.kind != "job" for e in entries)
        assert {e.story_id for e in entries} == set(re.findall(r'class="athing submission" '
                                                               r'id="(\d+)"', html))
    assert parse_page("news-2026-03-10-loggedin.html").entries[0].author == "speckx"


# ------------------------------------------------------------ generated pages

def _stories(n: int, first_id: int = 46600000) -> list[hnpages.GenStory]:
    return [hnpages.GenStory(id=str(first_id + k), title=f"Story {k}", score=10 + k,
                             comments=k) for k in range(n)]


def test_page_two_ranks_from_31() -> None:
    html = hnpages.listing_page(_stories(30), first_rank=31, next_href="?p=3")
    listing = parse_listing(html, url=f"{NEWS}?p=2", fetched_at=FETCHED)
    assert (listing.name, listing.page) == ("news", 2)
    assert [e.rank for e in listing.entries] == list(range(31, 61))
    assert listing.next_url == f"{NEWS}?p=3"
    e = listing.entries[0]
    assert (e.story_id, e.title, e.score, e.author, e.comment_count, e.kind) == \
        ("46600000", "Story 0", 10, "poster", 0, "story")
    assert e.url == "https://example.com/46600000" and e.domain == "example.com"


def test_rows_without_a_printed_rank_are_numbered_from_the_page_offset() -> None:
    html = re.sub(r'<span class="rank">\d+\.</span>', '<span class="rank"></span>',
                  hnpages.listing_page(_stories(3), first_rank=31))
    listing = parse_listing(html, url=f"{HN}/jobs?p=2", fetched_at=FETCHED)
    assert (listing.name, listing.page) == ("jobs", 2)
    assert [e.rank for e in listing.entries] == [31, 32, 33]


def test_a_page_whose_url_gives_no_page_takes_the_page_the_crawler_knows() -> None:
    # jobs?next=ID (page 2 of jobs) and /x?fnid= say nothing of where they start.
    html = re.sub(r'<span class="rank">\d+\.</span>', '<span class="rank"></span>',
                  hnpages.listing_page(_stories(3), first_rank=31))
    listing = parse_listing(html, url=f"{HN}/jobs?next=46600000", fetched_at=FETCHED,
                            known_page=2)
    assert (listing.name, listing.page) == ("jobs", 2)
    assert [e.rank for e in listing.entries] == [31, 32, 33]
    # A URL that says its page is believed over the hint.
    assert listing_name_and_page(f"{HN}/news?p=3", known_page=2) == ("news", 3, 60)
    assert listing_name_and_page(f"{HN}/newest?n=61", known_page=2) == ("newest", 3, 60)
    assert listing_name_and_page(f"{HN}/x?fnid=abc", known_page=2) == ("x", 2, 30)


def test_newest_n_31() -> None:
    html = re.sub(r'<span class="rank">\d+\.</span>', "",
                  hnpages.listing_page(_stories(30), next_href="newest?next=46599000&n=61"))
    listing = parse_listing(html, url=f"{HN}/newest?next=46600500&n=31", fetched_at=FETCHED)
    assert (listing.name, listing.page) == ("newest", 2)
    assert [e.rank for e in listing.entries] == list(range(31, 61))
    assert listing.next_url == f"{HN}/newest?next=46599000&n=61"


def test_discuss_and_job_rows() -> None:
    stories = [*_stories(2), hnpages.GenStory(id="46700000", title="Acme (YC W26) Is Hiring",
                                              score=None, comments=0, author=None)]
    html = hnpages.listing_page(stories).replace("0&nbsp;comments", "discuss")
    entries = parse_listing(html, url=NEWS, fetched_at=FETCHED).entries
    assert entries[0].comment_count == 0 and entries[1].comment_count == 1
    assert (entries[2].kind, entries[2].score, entries[2].author, entries[2].comment_count) \
        == ("job", None, None, None)


@pytest.mark.parametrize(("url", "name", "page"), [
    (f"{HN}/", "news", 1),
    (f"{HN}/news", "news", 1),
    (f"{HN}/news?p=3", "news", 3),
    (f"{HN}/news2", "news", 2),
    (f"{HN}/newest", "newest", 1),
    (f"{HN}/ask?p=2", "ask", 2),
    (f"{HN}/show", "show", 1),
    (f"{HN}/jobs", "jobs", 1),
    (f"{HN}/best", "best", 1),
    (f"{HN}/front", "front", 1),
    (f"{HN}/front?day=2026-01-14", "front/2026-01-14", 1),
    (f"{HN}/front?day=2026-01-14&p=2", "front/2026-01-14", 2),
    (f"{HN}/newest?n=31", "newest", 2),
])
def test_listing_names(url: str, name: str, page: int) -> None:
    assert listing_name_and_page(url)[:2] == (name, page)
    listing = parse_listing(hnpages.listing_page(_stories(1)), url=url, fetched_at=FETCHED)
    assert (listing.name, listing.page) == (name, page)


THROTTLE = ("<html><head><title>Hacker News</title></head><body>Sorry, we're not able to "
            "serve your requests this quickly.</body></html>")
LOGIN = ('<html><body><b>Login</b><br><br><form action="login" method="post"><input '
         'type="text" name="acct"></form></body></html>')


@pytest.mark.parametrize(("html", "error", "reason"), [
    (THROTTLE, ThrottledPage, "cannot serve"),
    ("", TruncatedPage, "empty body"),
    (hnpages.listing_page(_stories(30))[:-400], TruncatedPage, "truncated"),
    (LOGIN, ParseError, "login page"),
    ("<html><head><title>Else</title></head><body><p>hi</p></body></html>", ParseError,
     "no story rows"),
])
def test_pages_that_are_not_a_listing(html: str, error: type[ParseError], reason: str) -> None:
    with pytest.raises(error, match=reason) as e:
        parse_listing(html, url=NEWS, fetched_at=FETCHED)
    assert (e.value.site, e.value.url) == ("hn", NEWS)


@pytest.mark.parametrize(("era", "comments"), [("modern", 5), ("modern", 0), ("old", 5),
                                               ("old", 0)])
def test_a_generated_item_page_is_not_a_listing(era: str, comments: int) -> None:
    thread = hnpages.random_thread(comments)
    (html,) = hnpages.site_pages(thread, era=era).values()
    with pytest.raises(ParseError, match="an item page"):
        parse_listing(html, url=NEWS, fetched_at=FETCHED)


def test_no_item_page_of_the_corpus_is_a_listing() -> None:
    pages = sorted(corpus_dir("hn").glob("item-*.html"))
    assert pages
    for page in pages:
        with pytest.raises(ParseError, match="an item page"):
            parse_listing(page.read_text(encoding="utf-8"), url=f"{HN}/item?id=1",
                          fetched_at=FETCHED)


@pytest.mark.parametrize("markup", ["<textarea>", "<!--", "<title>", "</html>", "<xmp>"])
def test_markup_that_ends_the_tree_early_is_an_error_not_a_short_listing(markup: str) -> None:
    page = hnpages.listing_page(_stories(30), next_href="news?p=2")
    at = [m.start() for m in re.finditer('<tr class="athing submission"', page)][8]
    with pytest.raises(ParseError, match=r"markup holds 30 story rows, the parsed tree 8: "
                                         r"the HTML is malformed"):
        parse_listing(page[:at] + markup + page[at:], url=NEWS, fetched_at=FETCHED)


def test_a_tree_that_loses_the_more_link_is_an_error() -> None:
    page = hnpages.listing_page(_stories(30), next_href="news?p=2")
    at = page.index('<tr class="morespace"')
    with pytest.raises(ParseError, match=r"footer \(span.yclinks\) is not in the parsed tree"):
        parse_listing(page[:at] + "<plaintext>" + page[at:], url=NEWS, fetched_at=FETCHED)


def test_deep_nesting_in_a_title_parses_whole() -> None:
    stories = _stories(30)
    stories[3].title = "<i>" * 300  # escaped by the generator: make it markup
    page = hnpages.listing_page(stories).replace("&lt;i&gt;" * 300, "<i>" * 300)
    listing = parse_listing(page, url=NEWS, fetched_at=FETCHED)
    assert [e.story_id for e in listing.entries] == [s.id for s in stories]


@pytest.mark.parametrize("href", ["http://[oops/", "//[::1"])
def test_a_story_link_that_is_not_a_url_is_a_parse_error(href: str) -> None:
    page = hnpages.listing_page(_stories(3)).replace(
        f'href="https://example.com/{_stories(3)[1].id}"', f'href="{href}"')
    with pytest.raises(ParseError, match=r"row 2's title link .* is not a valid URL"):
        parse_listing(page, url=NEWS, fetched_at=FETCHED)


def test_a_rank_too_long_to_be_one_counts_from_the_page() -> None:
    page = hnpages.listing_page(_stories(3)).replace(">2.</span>", f">{'9' * 5000}.</span>")
    listing = parse_listing(page, url=NEWS, fetched_at=FETCHED)
    assert [e.rank for e in listing.entries] == [1, 2, 3]


@pytest.mark.parametrize("query", ["p=\u00b2", f"p={'9' * 5000}", "n=\u00b2"])
def test_odd_page_numbers_in_a_url_are_no_page_numbers(query: str) -> None:
    assert listing_name_and_page(f"{NEWS}?{query}") == ("news", 1, 0)


def test_an_absolute_story_link_is_kept_as_the_page_gives_it_whatever_the_base() -> None:
    # urljoin drops an empty fragment only when the base has the link's scheme: a page
    # read under a local stand-in's http:// base gave another URL than under https://.
    from scraper.parsers.values import join_url

    href = "http://example.com/a#"
    for base in ("https://news.ycombinator.com/news", "http://127.0.0.1:8000/news"):
        assert join_url(base, href, site="hn", what="story link") == href
    assert join_url("http://127.0.0.1:8000/news", "item?id=1", site="hn",
                    what="link") == "http://127.0.0.1:8000/item?id=1"
