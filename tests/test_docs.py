"""The documentation keeps up with the code: every command, table, view and column is in
docs/, the generated pages are current, python-api.md's examples run, and the README's
test command is CI's."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from archive.db import open_db

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REGENERATE = "run `python docs/generate.py` to regenerate it"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module runs
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()
COMMANDS = generate.commands()
NAMES = [name for name, _ in COMMANDS]


def _section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section of a markdown page ('' if absent)."""
    _, sections = generate.split_sections(text)
    return next((body for h, body in sections if h == heading), "")


# --- the README -------------------------------------------------------------------


def test_readme_test_command_is_ci_s() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_command = [line for line in ci if line.startswith("python3 -m venv")]
    assert len(ci_command) == 1
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert readme[:2] == ["# linkthread", ""]
    assert readme[2] == "```" and readme[5] == "```", "the README must open with its commands"
    assert readme[3].startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert readme[4] == ci_command[0], "the README's second command must be .ci/run's"


def test_readme_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("cli.md", "schema.md", "sites.md", "python-api.md", "lobsters.md",
                 "import.md", "README.md"):
        assert f"(docs/{page})" in readme, page


# --- docs/cli.md ------------------------------------------------------------------


def test_cli_md_is_current() -> None:
    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == generate.cli_md(), f"docs/cli.md is stale: {REGENERATE}"


def test_commands_include_the_scrapers() -> None:
    assert {"linkthread crawl", "linkthread run", "linkthread watch add"} <= set(NAMES)


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=NAMES)
def test_command_is_in_cli_md_with_current_help(name: str, cmd: click.Command) -> None:
    section = _section((DOCS / "cli.md").read_text(encoding="utf-8"), name)
    assert section, f"{name} is missing from docs/cli.md: {REGENERATE}"
    assert generate.help_text(name, cmd).rstrip() in section, (
        f"the --help of {name} in docs/cli.md is stale: {REGENERATE}")


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=NAMES)
def test_command_has_help_and_an_example(name: str, cmd: click.Command) -> None:
    assert cmd.help and cmd.help.strip(), f"{name} has no --help text"
    assert "Example" in cmd.help, f"the --help of {name} has no example"
    _, notes = generate.cli_notes()
    blocks = re.findall(r"```\n(.*?)```", notes.get(name, ""), flags=re.S)
    assert any(block.startswith(f"$ {name}") for block in blocks), (
        f"docs/src/cli.md has no example of {name} (a ``` block starting `$ {name}`)")


def test_a_new_command_shows_in_cli_md_marked_undocumented(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = generate.root_group()

    @click.command()
    def zzz_new() -> None:
        """A command added after the docs. Example: linkthread zzz-new"""

    monkeypatch.setitem(group.commands, "zzz-new", zzz_new)
    text = generate.cli_md()
    section = _section(text, "linkthread zzz-new")
    assert "A command added after the docs." in section
    assert generate.NO_EXAMPLE in section
    assert text != (DOCS / "cli.md").read_text(encoding="utf-8")


# --- docs/schema.md ---------------------------------------------------------------


def test_schema_md_is_current() -> None:
    current = (DOCS / "schema.md").read_text(encoding="utf-8")
    assert current == generate.schema_md(), f"docs/schema.md is stale: {REGENERATE}"


def _fresh_master(tmp_path: Path) -> tuple[sqlite3.Connection, list[tuple[str, str]]]:
    open_db(tmp_path / "fresh.db").close()
    conn = sqlite3.connect(tmp_path / "fresh.db")
    rows = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                        " ORDER BY name").fetchall()
    return conn, rows


def test_every_table_view_index_and_column_is_in_schema_md(tmp_path: Path) -> None:
    # Read from SQLite here, not through the generator, so a generator that drops
    # something is caught too.
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    _, sections = generate.split_sections(text)
    by_name = {m.group(1): body for h, body in sections if (m := re.match(r"`(\w+)`", h))}
    conn, master = _fresh_master(tmp_path)
    try:
        for kind, name in master:
            if kind in ("index", "trigger") or re.search(r"_fts_\w+$", name):
                assert f"`{name}`" in text, f"{kind} {name} is missing from docs/schema.md"
                continue
            assert name in by_name, f"{kind} {name} has no section in docs/schema.md"
            for row in conn.execute(f'PRAGMA table_info("{name}")'):
                assert f"| `{row[1]}` |" in by_name[name], (
                    f"column {name}.{row[1]} is missing from docs/schema.md: {REGENERATE}")
    finally:
        conn.close()


def test_a_new_column_shows_in_schema_md_marked_undescribed(tmp_path: Path) -> None:
    conn, _ = _fresh_master(tmp_path)
    try:
        conn.execute("ALTER TABLE stories ADD COLUMN zzz_new TEXT")
        schema = generate._read_schema(conn)
    finally:
        conn.close()
    _, notes = generate.schema_notes()
    by_name = {s.name: s for s in notes if s.name}
    lines = generate._object_md(by_name["stories"], schema, by_name)
    assert f"| `zzz_new` | TEXT | {generate.UNDESCRIBED} |" in lines
    assert "| `title` | TEXT | the story's title, as last seen |" in lines


def test_views_take_descriptions_from_their_table() -> None:
    section = _section((DOCS / "schema.md").read_text(encoding="utf-8"),
                       "`recent_comments` (view): every comment newest first")
    assert "| `story_title` | TEXT | as in `thread_comments`: the title of its story |" in section
    assert "| `author` | TEXT | as in `comments`: NULL where the site shows none" in section


def test_check_mode_reports_a_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    assert generate.main(["--check"]) == 0
    (tmp_path / "docs").mkdir()
    for page in ("cli.md", "schema.md"):
        (tmp_path / "docs" / page).write_text((DOCS / page).read_text(encoding="utf-8"))
    with (tmp_path / "docs" / "schema.md").open("a") as f:
        f.write("edited by hand\n")
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "DOCS", tmp_path / "docs")
    assert generate.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "docs/schema.md is stale: run python docs/generate.py" in err
    assert "cli.md is stale" not in err
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0


# --- docs/sites.md and docs/python-api.md --------------------------------------------


def test_every_setting_is_in_sites_md() -> None:
    names = set()
    for package in ("archive", "scraper"):
        for path in (ROOT / package).rglob("*.py"):
            names |= set(re.findall(r"LINKTHREAD_[A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    sites = (DOCS / "sites.md").read_text(encoding="utf-8")
    assert names, "no LINKTHREAD_* settings found"
    missing = sorted(n for n in names if f"`{n}`" not in sites)
    assert not missing, f"settings missing from docs/sites.md: {missing}"


def test_python_api_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "python-api.md").read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```\n\n```\n(.*?)```", text, flags=re.S)
    assert len(examples) == text.count("```python"), "every example needs its output block"
    assert len(examples) >= 8
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for code, expected in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/python-api.md", "exec"), namespace)
        assert out.getvalue() == expected, f"docs/python-api.md example:\n{code}"


# --- links --------------------------------------------------------------------------

# Written on other branches (h/lobspider, h/import); every other page must exist here.
PAGES_ELSEWHERE = {"lobsters.md", "import.md"}


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_pages_resolve() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)", text):
            path = (page.parent / target) if target else page
            if not path.exists():
                if path.name not in PAGES_ELSEWHERE:
                    broken.append(f"{page.name}: {target}")
                continue
            headings = re.findall(r"^#+ (.*)$", path.read_text(encoding="utf-8"), flags=re.M)
            if anchor and anchor not in {_slug(h) for h in headings}:
                broken.append(f"{page.name}: {target}#{anchor}")
    assert not broken, f"links to nothing: {broken}"
