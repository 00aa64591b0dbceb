"""What ``backfill`` and ``follow`` show: at a terminal a ``rich`` progress bar (rate and
ETA) or status line; anywhere else nothing but their last line, so a log stays short."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scraper.hnapi.ingest import Tally


def counts(tally: Tally) -> str:
    return (f"{tally.stories} stories · {tally.comments} comments · {tally.nulls} null"
            + (f" · {tally.waiting} waiting for their parent" if tally.waiting else ""))


class Display:
    """Off a terminal: silent until the command's last line."""

    def begin(self, what: str, *, total: int | None = None, done: int = 0) -> None:
        pass

    def advance(self, tally: Tally) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichDisplay(Display):
    """A progress bar (a known total) or a status line (a follow), on stderr."""

    def __init__(self) -> None:
        # Imported here: only a terminal needs it.
        from rich.console import Console

        self.console = Console(stderr=True)
        self.progress: Any = None
        self.task: Any = None
        self.first = 0
        self.live: Any = None

    def begin(self, what: str, *, total: int | None = None, done: int = 0) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        if total is None:
            self.live = self.console.status(what)
            self.live.start()
            return
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
            TextColumn("{task.fields[counts]}"), console=self.console,
        )  # fmt: skip
        self.first = done
        self.task = self.progress.add_task(what, total=total, completed=done, rate="",
                                           counts="")  # fmt: skip
        self.progress.start()

    def advance(self, tally: Tally) -> None:
        if self.progress is None:
            return
        task = self.progress.tasks[0]
        speed = task.speed
        self.progress.update(self.task, completed=self.first + tally.fetched,
                             rate=f"{speed:,.0f} items/s" if speed else "",
                             counts=counts(tally))  # fmt: skip

    def status(self, text: str) -> None:
        if self.live is not None:
            self.live.update(text)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        if self.live is not None:
            self.live.stop()


def display() -> Display:
    return RichDisplay() if sys.stderr.isatty() else Display()
