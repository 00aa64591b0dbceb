"""Crawls of threads alone without Scrapy (issue 14, target 2).

``run``: what such a crawl records and how it stops, whatever the site; ``stop``: the
stop of a crawl that runs in one thread, without an event loop; ``pages``: an HTTP
client that asks as politely as the spider does; one module per site that reads its
threads this way (``lobsters``, ``reddit``), one request at a time in the process's
main thread. HN's API crawl (``scraper.hnapi.crawl``), whose trees are fetched
concurrently on an asyncio loop, shares the closing and the store step.
"""
