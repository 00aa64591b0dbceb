"""The command group imports a command's module when the command is asked for
(archive.cli.LazyGroup): a crawl's start pays for none of the read commands' imports.
Each name in the lazy table must be registered by its module, and every command module
must be in the table, or a command would vanish from ``linkthread``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _in_fresh_python(code: str) -> object:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def test_starting_imports_no_command_module() -> None:
    found = _in_fresh_python(
        "import json, sys, scraper.cli as c;"
        "print(json.dumps([sorted(set(c.cli.lazy.values()) & set(sys.modules)),"
        " sorted(c.cli.commands)]))")
    assert found == [[], ["crawl"]]


def test_each_module_registers_the_names_the_table_gives_it() -> None:
    table = _in_fresh_python("import json, scraper.cli as c; print(json.dumps(c.cli.lazy))")
    assert isinstance(table, dict)
    for module in sorted(set(table.values())):
        registered = _in_fresh_python(
            "import json, importlib, scraper.cli as c;"
            f"importlib.import_module({module!r});"
            "print(json.dumps(sorted(set(c.cli.commands) - {'crawl'})))")
        # It may bring others (a command module that uses another's): never fewer.
        assert isinstance(registered, list)
        assert {n for n, m in table.items() if m == module} <= set(registered), module


def test_every_command_module_is_in_the_table() -> None:
    table = _in_fresh_python("import json, scraper.cli as c; print(json.dumps(c.cli.lazy))")
    assert isinstance(table, dict)
    modules = {f"{p.parent.name}.{p.stem}" for folder in ("archive", "scraper")
               for p in (ROOT / folder).glob("cli_*.py")}
    assert modules == set(table.values())


def test_an_unknown_command_is_still_clicks_error() -> None:
    done = subprocess.run([sys.executable, "-m", "scraper.cli", "nosuch"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "No such command 'nosuch'" in done.stderr


def test_the_version_constant_is_the_installed_version() -> None:
    # pyproject.toml reads its version from archive/version.py: the two cannot drift,
    # unless the install is older than the checkout (reinstall then).
    from importlib.metadata import version

    from archive.version import VERSION

    assert version("linkthread") == VERSION
