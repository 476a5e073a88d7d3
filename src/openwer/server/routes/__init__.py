"""The server's HTTP routes, one module per area: health, ingest, queries, MS-CER2, OpenAPI.

Routes stay thin: parse the request, call one function, render the result. Errors are
translated once, by :mod:`openwer.server.http_errors`.
"""
