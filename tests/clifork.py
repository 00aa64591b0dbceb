"""A warm parent of crawl processes: ``python -m tests.clifork`` imports Scrapy and the
spiders once, then forks one child per request, and each child runs the console
script's entry function (``scraper.cli:main``) with its own argv, environment and
output files, and ends with the status a console script would.

Why: Scrapy's reactor runs once a process, so a spider crawl cannot run inside the test
process; a fresh interpreter re-imports Scrapy (~1 s of CPU) for every crawl. A forked
child is a fresh process with a reactor never started, at the cost of a fork.

Protocol, one JSON line each way: the test writes ``{"args", "env", "cwd", "out",
"err"}``; this answers ``{"pid"}`` at once, then ``{"returncode"}`` when the child has
ended (negative: the signal that ended it, as ``subprocess`` reports it).
"""

from __future__ import annotations

import json
import os
import sys

# What every crawl would import; none of it reads the environment when imported.
WARM = ("scrapy.crawler", "scrapy.settings", "scraper.cli", "scraper.spiders.reddit",
        "scraper.spiders.hn", "scraper.spiders.lobsters", "scraper.direct.reddit")
# Read from the environment when imported: each child imports it again with its own.
PER_CHILD = ("scraper.settings",)


def child(request: dict) -> None:
    """Runs in the forked child; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        for name in PER_CHILD:
            sys.modules.pop(name, None)
        sys.argv = ["linkthread", *request["args"]]
        # Run as a script, not as "python -m tests.clifork": click names the program
        # from this (its usage lines say "linkthread").
        sys.modules["__main__"].__package__ = None
        from scraper.cli import main

        try:
            main()
            code = 0
        except SystemExit as e:  # what the interpreter makes of sys.exit(...)
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)


def serve() -> None:
    import importlib

    for name in WARM:
        importlib.import_module(name)
    # A reactor imported here would be the children's, installed before their settings.
    assert "twisted.internet.reactor" not in sys.modules, "the reactor was installed"
    for name in PER_CHILD:
        sys.modules.pop(name, None)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    serve()
