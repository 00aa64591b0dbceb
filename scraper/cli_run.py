"""``linkthread run``: the command in front of :mod:`scraper.run`, and its display.

At a terminal it shows what it is doing with ``rich`` (a spinner naming the crawl in
progress, or when the next visit is due); anywhere else, one plain line per crawl, so
a log (cron's, journald's) stays readable.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from archive.cli import _user_errors, cli, db_option
from scraper.run import BATCH, Display, PlainDisplay, Stopper, run_forever, run_once


class RichDisplay:
    """A live status line under the log lines, for a terminal."""

    def __init__(self) -> None:
        # Imported here: only a terminal needs it, and each child crawl imports this module.
        from rich.console import Console

        self.console = Console()
        self.status: Any = self.console.status("starting")
        self.status.start()

    def crawl_started(self, what: str) -> None:
        self.status.update(f"crawling {what}")

    def line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def waiting(self, text: str) -> None:
        self.status.update(f"waiting: {text}")

    def close(self) -> None:
        self.status.stop()


@cli.command(name="run")
@click.option("--once", is_flag=True, help="Visit what is due now, then exit (for cron).")
@click.option("--batch", default=BATCH, show_default=True, type=click.IntRange(1, 1000),
              help="At most this many watches in one crawl.")
@db_option
def run_command(once: bool, batch: int, db: str) -> None:
    """Visit the watches that are due (see `linkthread watch`), each visit a real crawl.

    Without --once it keeps running: it sleeps until the next watch is due (looking
    at the list at least once a minute) and prints one line per crawl. SIGTERM or
    Ctrl-C stops it cleanly: the running crawl stops gracefully, whatever it had not
    finished is not stored and stays due, and it exits 0. With --once it exits 1 if
    a visit failed.

    Example: linkthread run --once --db hn.db

    Example: linkthread run --db hn.db   (a daemon: cron, systemd, or a terminal)
    """
    display: Display = RichDisplay() if sys.stdout.isatty() else PlainDisplay()
    try:
        with _user_errors():
            if not once:
                run_forever(db, batch=batch, display=display)
                return
            # The same clean stop as the daemon's: a cron job may be killed too.
            stopper = Stopper()
            restore = stopper.install()
            try:
                outcomes = run_once(db, batch=batch, display=display, stopper=stopper)
            finally:
                restore()
    finally:
        if isinstance(display, RichDisplay):
            display.close()
    if any(o.status == "failed" for o in outcomes):
        raise SystemExit(1)
