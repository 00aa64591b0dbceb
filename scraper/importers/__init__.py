"""``linkthread import``: saved pages (HTML "Save Page As", wget mirrors, JSON API
responses saved to a file) into the archive, through the same parsers and
``archive.store.save_*`` as a crawl, with no Scrapy and no network.

* ``files``: walking the paths given, reading and decoding each file;
* ``pages``: what every site's importer shares: the record of one read file, its URL
  from a mirror's file name, the time it was seen;
* ``hn`` / ``lobsters``: one module per site: which of its pages a text is, the URL
  and time the page states, and which parser reads it (a new site adds its module
  here and its entry in ``detect.IMPORTERS``); ``hn_algolia``: HN threads saved
  from Algolia's API;
* ``detect``: which site's importer takes a text;
* ``join``: the pages of one thread saved as several files, joined in order;
* ``run``: the import itself, one crawls row with command "import".
"""
