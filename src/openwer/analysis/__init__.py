"""Stack walking and symbolization of minidumps: the analysis behind ``openwer analyze``.

Loaded on use only (``import openwer`` does not import it). See docs/analyze.md.
"""
