"""What Scrapy's WARN_ON_GENERATOR_RETURN_VALUE checked at every response, which
scraper/settings.py turns off (it re-read and re-parsed a callback's source for each
response): no spider method that is a generator returns a value, which Scrapy would
drop without a word."""

from __future__ import annotations

import inspect

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from scraper.spiders.base import SiteSpider
from scraper.spiders.hn import HnSpider
from scraper.spiders.lobsters import LobstersSpider
from scraper.spiders.reddit import RedditSpider


@pytest.mark.parametrize("spider", [HnSpider, LobstersSpider, RedditSpider])
def test_no_generator_callback_returns_a_value(spider: type[SiteSpider]) -> None:
    generators = [(name, fn) for name, fn in inspect.getmembers(spider, inspect.isfunction)
                  if inspect.isgeneratorfunction(fn)]
    assert len(generators) >= 3
    assert [name for name, fn in generators if is_generator_with_return_value(fn)] == []


def test_the_check_is_off() -> None:
    from scraper import settings

    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False
