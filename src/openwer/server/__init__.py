"""The collection server: ingest of stage 1 and stage 2, buckets, data requests and solutions.

Layer L4, beside capture: it shares only :mod:`openwer.formats` (the protocol) with the client and
never imports the client side (``report``, ``store``, ``transport``, ``capture``), nor does the
client import it. :mod:`openwer.server.storage` is the relational storage (SQLite or PostgreSQL)
the ASGI application and the dashboard stand on. Importing ``openwer`` never loads this package.
"""
