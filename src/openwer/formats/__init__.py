"""Pure codecs: bytes in, frozen objects out, and back. No clock, no files, no globals."""
