"""Sending queued reports to the collection server (``openwer reports upload``, background)."""
