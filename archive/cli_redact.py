"""``linkthread redact``: content taken out of the archive for good (:mod:`archive.redact`)."""

from __future__ import annotations

import click

from archive import sites
from archive.cli import _user_errors, cli, db_option, item_id
from archive.db import open_db
from archive.terminal import safe_line


@cli.command()
@click.option("--comment", nargs=2, metavar="SITE ID", help="One comment's text.")
@click.option("--author", nargs=2, metavar="SITE NAME",
              help="Everything NAME wrote: comment texts and their name on them, their "
                   "profile's about text, their stories' text.")
@click.option("--thread", nargs=2, metavar="SITE ID",
              help="A whole thread: its story's title, link and text, every comment's text.")
@click.option("--deleted-on-site", "deleted_on_site", metavar="SITE",
              help="Every comment and story SITE shows as deleted or removed (Reddit's API "
                   "terms ask for this), and those it shows so later.")
@click.option("--reason", required=True, help="Why: kept in the redactions log.")
@click.option("--dry-run", is_flag=True, help="Say what would be taken out; change nothing.")
@click.option("--unredact", is_flag=True,
              help="Lift the redaction: later crawls and imports keep what they see again. "
                   "What was taken out is not restored.")
@click.option("--no-vacuum", is_flag=True,
              help="Skip the VACUUM that rewrites the file (slow on a large archive); "
                   "freed pages are zeroed anyway, the file keeps its size.")
@db_option
def redact(comment: tuple[str, str] | None, author: tuple[str, str] | None,
           thread: tuple[str, str] | None, deleted_on_site: str | None, reason: str,
           dry_run: bool, unredact: bool, no_vacuum: bool, db: str) -> None:
    """Take content out of the archive for good: a comment, an author, a thread, or
    what a site shows as deleted.

    It goes from the current rows, their history (versions, snapshots), the full-text
    indexes and the kept raw pages that hold it (dropped, marked redacted), and the
    file's bytes (secure_delete, then VACUUM). The redactions table logs what kind,
    site, id, when and why, never the content. Later crawls and imports keep it out
    until --unredact. Exports and snapshots already written elsewhere are not touched.

    Example: linkthread redact --author hn someone --reason "asked to be forgotten"

    Example: linkthread redact --deleted-on-site reddit --reason "Reddit API terms"
    """
    # Imported here: the redaction's rules and the records are for this command alone,
    # and every command's start would pay for them (tests/test_startup.py).
    from archive import redact as redaction

    with _user_errors():
        chosen = [(k, v) for k, v in (("comment", comment), ("author", author),
                                      ("thread", thread)) if v is not None]
        if deleted_on_site is not None:
            chosen.append(("deleted-on-site", (deleted_on_site, "")))
        if len(chosen) != 1:
            raise click.UsageError(
                "name one of --comment, --author, --thread, --deleted-on-site")
        kind, (site, key) = chosen[0]
        sites.get(site)
        if kind == "thread":
            key = item_id(key, site)
        archive = open_db(db)
        try:
            if unredact:
                lifted = redaction.unredact(archive, site=site, kind=kind, key=key,
                                            reason=reason)
                click.echo(safe_line(f"lifted {lifted} redaction(s) of {kind} {site}/{key}: "
                                     "later crawls keep what they see again"))
                return
            done = redaction.redact(archive, site=site, kind=kind, key=key, reason=reason,
                                    dry_run=dry_run)
            if not dry_run:
                redaction.purge(archive, vacuum=not no_vacuum)
        finally:
            archive.close()
    what = (f"{done.comments} comment(s), {done.stories} story(ies), {done.users} "
            f"profile(s), {done.versions} version(s), {done.pages} kept page(s)")
    if dry_run:
        click.echo(safe_line(f"would take out {what}; dry run: nothing was changed"))
        return
    click.echo(safe_line(f"took out {what} ({kind} {site}/{key}, redaction "
                         f"{done.redaction_id})"))
    if no_vacuum:
        click.echo("the file was not vacuumed: freed pages are zeroed, but free pages stay "
                   "in the file until `sqlite3 FILE VACUUM` or the next redact")
    click.echo("exports, snapshots and copies written before are not touched")
