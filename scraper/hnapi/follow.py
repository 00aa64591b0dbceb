"""``linkthread follow hn``: a live tail of HN through its API, as a daemon.

Every ``interval`` seconds it reads ``maxitem`` and fetches every id after the last one
it committed (mark ``follow``, committed with each batch: a restart, after a kill too,
continues after it and fetches nothing it had committed), then ``updates`` (items and
profiles changed lately) and fetches the changed ones, stored with history as crawls
store them (a changed score, text or dead flag is a snapshot or a version).

``updates`` lists what changed lately, the same ids for several polls: an id is fetched
when it enters the list, not again while it stays (the list read last is committed as
the mark ``follow-updates``), and not if this poll fetched it as a new item.

The first run starts at the current maxitem (only what is new from then on), or at
``--from``. SIGTERM/SIGINT stop it cleanly: what was fetched is committed, then it exits.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from archive import follow_state, schedule, search_auto
from archive.db import transaction
from archive.items import LooseItem, Mark
from archive.store import save_user
from scraper.hnapi.client import ApiClient
from scraper.hnapi.ingest import SITE, Tally, fetch_range, store_batch, until_stopped
from scraper.hnapi.status import Display, counts
from scraper.hnapi.writer import Archive
from scraper.parsers.hn import api as mapping

NAME = "follow"
UPDATES = "follow-updates"


@dataclass
class FollowTally(Tally):
    changed: int = 0  # changed items fetched
    profiles: int = 0  # changed profiles fetched
    polls: int = 0


def _state(db: sqlite_utils.Database) -> tuple[int | None, list[int], list[str]]:
    follow = follow_state.get_state(db.conn, SITE, NAME)
    updates = follow_state.get_state(db.conn, SITE, UPDATES)
    seen = json.loads(updates[1] or "{}") if updates else {}
    return (None if follow is None else follow[0], seen.get("items", []),
            seen.get("profiles", []))


def _start(db: sqlite_utils.Database, position: int) -> None:
    with transaction(db) as conn:
        follow_state.set_state(conn, SITE, NAME, position)


def _watcher(on: bool) -> Callable[[sqlite_utils.Database, list[LooseItem]], None] | None:
    """With --watch-new-stories: each new story joins the watch list, in its batch's
    transaction."""
    if not on:
        return None

    def watch(db: sqlite_utils.Database, items: list[LooseItem]) -> None:
        now = datetime.now(UTC)
        for i in items:
            if i.story is not None:
                schedule.add_watch(db.conn, now, site=SITE, kind="thread", target=i.id)
    return watch


def _save_changes(db: sqlite_utils.Database, items: list[LooseItem], users: list[dict],
                  detail: str) -> None:
    with transaction(db):
        store_batch(db, items, Mark(name=UPDATES, position=len(items), detail=detail), None)
        for data in users:
            save_user(db, mapping.user_to_user(data))


async def follow(client: ApiClient, db_path: str, *, interval: float, since: int | None,
                 watch_new: bool, display: Display, tally: FollowTally) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    archive = Archive(db_path)
    then = _watcher(watch_new)
    display.begin("following Hacker News")
    try:
        position, seen_items, seen_profiles = await archive.call(_state)
        while not stop.is_set():
            newest = await until_stopped(client.maxitem(), stop)
            if newest is None:
                break
            if position is None:
                position = newest if since is None else since - 1
                await archive.call(_start, position)
            before = position
            tally.position = position
            if newest > position:
                display.status(f"fetching {position + 1}-{newest} · {counts(tally)}")
                position = await fetch_range(client, archive, position + 1, newest, name=NAME,
                                             tally=tally, stop=stop, then=then)
            if stop.is_set():
                break
            changed = await until_stopped(client.updates(), stop)
            if changed is None:
                break
            items, profiles = changed
            fetched = await _changes(client, archive, tally, before, items, profiles,
                                     seen_items, seen_profiles, stop)
            if position > before or fetched:
                # A crawl's end keeps the search index (search_auto: the bands, and the
                # merges taken out of the saves); a follow never ends, so each poll
                # that wrote does it, bounded.
                await archive.call(search_auto.after_write)
            seen_items, seen_profiles = items, profiles
            tally.polls += 1
            display.status(f"following · last id {position} · {counts(tally)} · "
                           f"{tally.changed} changed · next look in {interval:g} s")
            await until_stopped(asyncio.sleep(interval), stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        display.close()
        await archive.close()


async def _changes(client: ApiClient, archive: Archive, tally: FollowTally, before: int,
                   items: list[int], profiles: list[str], seen_items: list[int],
                   seen_profiles: list[str], stop: asyncio.Event) -> int:
    """Fetch the items and profiles that entered ``updates`` since the last look, and
    commit them with the list read (``follow-updates``), in one transaction; how many
    items and profiles were fetched."""
    old_items, old_profiles = set(seen_items), set(seen_profiles)
    wanted = [i for i in dict.fromkeys(items) if i <= before and i not in old_items]
    fetched = [item async for _, item in client.fetch_items(wanted) if item is not None]
    users = []
    for name in dict.fromkeys(profiles):
        if name not in old_profiles and not stop.is_set():
            data = await client.user(name)
            if data is not None:
                users.append(data)
    detail = json.dumps({"items": items, "profiles": profiles})
    await archive.call(_save_changes, mapping.loose_items(fetched), users, detail)
    tally.changed += len(fetched)
    tally.profiles += len(users)
    return len(fetched) + len(users)
