"""Native crash capture: minidumps of crashed Linux processes, APPCRASH reports.

Two ways in:

* ``openwer run`` traces the program it runs (:mod:`~openwer.native.tracer`, started by
  :mod:`~openwer.native.traced_launch`) and snapshots it at a fatal signal;
* ``openwer.install(native=True)`` starts a crash handler process beside a Python program
  (:mod:`~openwer.native.crash_client`, :mod:`~openwer.native.crash_handler`) that attaches only
  when the program crashes (:mod:`~openwer.native.crash_attach`).

Both collect a :class:`~openwer.formats.minidump_writer.CrashSnapshot`
(:mod:`~openwer.native.collector`) and file an APPCRASH report (:mod:`~openwer.native.appcrash`).
docs/native.md describes the whole; this package is imported on use only (never by
``import openwer``), and its modules import report, store, settings, formats and platform.
"""
