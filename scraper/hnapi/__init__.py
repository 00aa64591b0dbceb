"""Hacker News' official API (Firebase): the concurrent client (``client``), and the
commands built on it. The mapping of its items to records is a parser
(``scraper.parsers.hn.api``); its settings and default URL are data in
``archive.sites_hn``."""
