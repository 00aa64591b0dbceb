"""Crawls of threads alone on a plain asyncio loop, without Scrapy (issue 14, target 2).

``run``: what such a crawl records and how it stops, whatever the site; ``pages``: an
HTTP client that asks as politely as the spider does; one module per site that reads
its threads this way (``lobsters``). HN's API crawl (``scraper.hnapi.crawl``) shares
the stopping and the store step.
"""
