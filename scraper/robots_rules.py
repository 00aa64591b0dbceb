"""The words behind a robots.txt refusal: which group and rule forbid a path.

Protego decides what is allowed; this small matcher only finds the line to quote.
No Scrapy here: shared by ``scraper.politeness`` and the crawls without Scrapy
(``scraper.direct``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OVERRIDE_HINT = "Override knowingly with -s ROBOTSTXT_OBEY=False"
# A Crawl-delay longer than this (an hour) is no pace a crawl keeps but a wait without
# end (a hostile or garbled "Crawl-delay: 1e9" held a crawl silently for good): the host
# is refused in one line instead, unless LINKTHREAD_CRAWL_DELAY sets the pace.
MAX_CRAWL_DELAY = 3600.0


def unreachable(status: int) -> bool:
    """Whether robots.txt's answer (after the retries a page gets) leaves it unreachable:
    RFC 9309 2.3.1.4 has a crawler assume then that it forbids everything. A 429 is the
    server's own "not now" too; another 4xx is no file at all, which forbids nothing.
    No answer at all (the host down) is left to the pages' requests, which fail on
    their own with what the network said."""
    return status >= 500 or status == 429


def unreachable_refusal(origin: str, why: str) -> str:
    return (f"robots.txt of {origin} could not be read ({why}); until it can, RFC 9309 "
            "has a crawler take it as forbidding everything: not crawling it")


@dataclass(frozen=True, slots=True)
class Rule:
    allow: bool
    pattern: str
    line: str  # as the file wrote it, to quote back


def read_groups(text: str) -> dict[str, list[Rule]]:
    """Allow/Disallow rules per user-agent token (lower case), grouped as Protego groups
    them: consecutive User-agent lines share the rules that follow, and a token named in
    several groups gets all their rules."""
    groups: dict[str, list[Rule]] = {}
    current: list[str] = []
    last_field = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        field, sep, value = line.partition(":")
        if not sep:
            continue
        field, value = field.strip().lower().replace("_", "-"), value.strip()
        if field in ("user-agent", "useragent"):
            if last_field != "user-agent":
                current = []
            last_field = "user-agent"
            agent = value.lower()
            agent = agent if agent == "*" else agent.replace("*", "")
            if agent:
                current.append(agent)
                groups.setdefault(agent, [])
        elif field in ("allow", "disallow"):
            last_field = field
            if value:  # "Disallow:" with no path allows everything: no rule to quote
                for agent in current:
                    groups[agent].append(Rule(field == "allow", value, line))
        elif field not in ("sitemap", "host"):
            last_field = field
    return groups


def pattern_matches(pattern: str, path: str) -> bool:
    """Whether a robots.txt path pattern matches a path (with its query): a prefix match
    where ``*`` stands for any run of characters and a final ``$`` ends the path."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.match(regex + (r"\Z" if anchored else ""), path) is not None


def agent_score(agent: str, user_agent: str) -> int:
    """How well a group's token names our user agent, as Protego scores it: ``*`` scores
    1, a token found at a word boundary scores its length, anything else 0."""
    if agent == "*":
        return 1
    ua = user_agent.strip().lower()
    for m in re.finditer(re.escape(agent), ua):
        if m.start() == 0 or not (ua[m.start() - 1].isalnum() or ua[m.start() - 1] in "-_"):
            return len(agent)
    return 0


def deciding_rule(text: str, path: str, user_agent: str) -> tuple[str, Rule] | None:
    """The group token and the rule that forbid ``path``, or None if none does: the
    longest matching pattern of the best-matching group wins, Allow on a tie."""
    groups = read_groups(text)
    scored = [(agent_score(agent, user_agent), agent) for agent in groups]
    score, agent = max(scored, key=lambda s: s[0], default=(0, ""))
    if not score:
        return None
    matching = [r for r in groups[agent] if pattern_matches(r.pattern, path)]
    if not matching:
        return None
    rule = max(matching, key=lambda r: (len(r.pattern), r.allow))
    return None if rule.allow else (agent, rule)


def delay_refusal(origin: str, asked: float | None) -> str | None:
    """Why a host whose robots.txt asks for ``asked`` s between requests is not crawled
    (see ``MAX_CRAWL_DELAY``), or None when that is a pace to keep."""
    if asked is None or asked <= MAX_CRAWL_DELAY:
        return None
    return (f"robots.txt of {origin} asks for {asked:.6g} s between requests (Crawl-delay),"
            f" more than the {MAX_CRAWL_DELAY:g} s a crawl waits; not crawling it (set"
            " LINKTHREAD_CRAWL_DELAY to choose the pace yourself)")


def refusal(origin: str, path: str, user_agent: str, text: str | None) -> str:
    """The one line a user reads when robots.txt forbids a request."""
    return f"{refusal_reason(origin, path, user_agent, text)}. {OVERRIDE_HINT}"


def refusal_reason(origin: str, path: str, user_agent: str, text: str | None) -> str:
    """Why robots.txt forbids a request, quoting the rule where it can be found."""
    name = user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else user_agent
    found = deciding_rule(text, path, user_agent) if text is not None else None
    why = f": '{found[1].line}' (user-agent {found[0]})" if found else ""
    return f"robots.txt of {origin} forbids {path} for {name}{why}; not crawling it"
