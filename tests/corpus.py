"""Where the shared corpus of real pages is, or a clear pytest skip when it is absent.

The pages are test data read in place (never copied into the project): from
``$LINKTHREAD_CORPUS`` if set, else ``../shared/corpus`` beside the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def corpus_root() -> Path:
    return Path(os.environ.get("LINKTHREAD_CORPUS") or ROOT.parent / "shared" / "corpus")


def corpus_dir(site: str) -> Path:
    """The folder of one site's pages; skips the calling test if it is not there."""
    folder = corpus_root() / site
    if not folder.is_dir():
        pytest.skip(f"corpus folder {folder} is absent (set LINKTHREAD_CORPUS to the shared "
                    "corpus of real pages to run this test)")
    return folder


def corpus_file(site: str, name: str) -> Path:
    """One saved page; skips the calling test if the corpus or the file is not there."""
    path = corpus_dir(site) / name
    if not path.is_file():
        pytest.skip(f"corpus page {path} is absent")
    return path


def corpus_text(site: str, name: str) -> str:
    return corpus_file(site, name).read_text(encoding="utf-8")
