"""Reddit parsers: pure functions from the API's JSON answers (and saved copies of
Reddit's pages) to records. ``things`` reads one post or comment object, ``thread``
places a thread's answers into one tree, ``listing`` reads listings and profiles,
``errors`` names Reddit's error bodies, ``html`` reads old.reddit and the redesign.
"""
