"""OS glue without report vocabulary: durable files, locks, process identity, disk space, /proc.

Imports only the standard library, :mod:`openwer.errors` and :mod:`openwer.types`.
"""
