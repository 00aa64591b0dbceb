"""``linkthread datasette-metadata``: Datasette metadata for an archive, ready for ``-m``.

The metadata ships inside the package (``archive/datasette/metadata.json``), written
for a database named ``linkthread`` (the file ``linkthread.db``). Datasette keys
metadata by database name, which it takes from the file name, and has no wildcard:
the same file would describe nothing in ``hn.db``. So the command rewrites that one
key for the archive at hand and prints the result, which Datasette reads from stdin::

    linkthread datasette-metadata --db hn.db | datasette hn.db -m -

A Datasette plugin (an entry point) would need no flag at all, but only where
linkthread is installed in Datasette's own environment, and the hook it would need
(``get_metadata``) is gone in Datasette 1.0; a file works with any Datasette,
installed anywhere, and with ``datasette publish``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from archive import sites
from archive.cli import _user_errors, cli, db_option
from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.export_output import write_text

PACKAGED_NAME = "linkthread"


def packaged_metadata() -> dict[str, Any]:
    """The metadata as shipped, for a database named ``linkthread``, with the sites of
    the registry in each ``site`` column's description (the file cannot know them)."""
    from importlib import resources  # here: every command would import it otherwise

    text = resources.files("archive").joinpath("datasette/metadata.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    known = ", ".join(f"{s.name} ({s.label})" for s in sites.SITES.values())
    for table in data["databases"][PACKAGED_NAME]["tables"].values():
        if "site" in table.get("columns", {}):
            table["columns"]["site"] = known
    return data


def metadata_for(db: str | Path) -> dict[str, Any]:
    """The packaged metadata, describing the archive at ``db`` under Datasette's name for it.

    Datasette names a database after its file, less the suffix (``hn.db`` is ``hn``).
    """
    data = packaged_metadata()
    name = Path(db).stem
    databases = data["databases"]
    databases[name] = databases.pop(PACKAGED_NAME)
    return data


@cli.command(name="datasette-metadata")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the metadata to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
@db_option
def datasette_metadata_command(output: str | None, force: bool, db: str) -> None:
    """Print Datasette metadata for the archive: descriptions, facets, queries.

    Datasette then shows the archive with its tables and views described, search on
    comments and stories, and the queries `thread` (a thread in display order),
    `user_comments` and `search_comments` (best matches first). Written for Datasette
    0.65: pip install 'datasette<1'.

    Example: linkthread datasette-metadata --db hn.db | datasette hn.db -m -
    """
    if Path(db).exists():
        # Metadata may be written before the first crawl, but never for another
        # program's database.
        with _user_errors():
            open_readonly(db).close()
    text = json.dumps(metadata_for(db), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_text(output, text, force=force)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"wrote {output}", err=True)


@cli.command(name="datasette")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on.")  # fmt: skip
@click.option("--get", "get_path", metavar="PATH",
              help="Print the page at PATH (/hn/comments.json) and exit: no server.")  # fmt: skip
@db_option
def datasette_command(host: str, port: int, get_path: str | None, db: str) -> None:
    """Serve the archive in Datasette, every page quick at 10 million comments.

    The packaged metadata (datasette-metadata), facet suggestions off, and:
    the pages of all comments (comments, thread_comments, recent_comments,
    comments_seen) skip counting every row, their table search goes to the
    search_comments query (best matches first), and search_comments ranks as
    linkthread search does, through the words search-index keeps. Needs Datasette
    0.65 in linkthread's environment: pip install 'datasette<1'.

    Example: linkthread datasette --db hn.db --port 8001

    Example: linkthread datasette --db hn.db --get '/hn/search_comments.json?search=rust'
    """
    with _user_errors():
        open_readonly(db).close()
        try:
            from archive import datasette_serve

            ds = datasette_serve.app([db])
        except ModuleNotFoundError as e:
            raise ArchiveError(f"Datasette is not installed ({e}): pip install 'datasette<1'") \
                from e  # fmt: skip
    if get_path is not None:
        import asyncio

        async def fetch() -> tuple[int, str]:
            await ds.invoke_startup()
            response = await ds.client.get(get_path, follow_redirects=True)
            return response.status_code, response.text

        status, text = asyncio.run(fetch())
        click.echo(text, nl=not text.endswith("\n"))
        if status >= 400:
            raise SystemExit(1)
        return
    import uvicorn

    click.echo(f"serving {db} at http://{host}:{port}/", err=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
