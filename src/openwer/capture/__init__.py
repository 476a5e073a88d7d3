"""Capture of Python crashes: turn an exception and the process's state into a WER report.

The engine (pure-ish functions, no hooks installed): :mod:`~openwer.capture.config` resolves who
the application is, :mod:`~openwer.capture.signature` computes the ``PythonUnhandledException`` /
``PythonNonFatalException`` signature (docs/events.md), :mod:`~openwer.capture.report_builder`
assembles the report on the fast path and :mod:`~openwer.capture.loaded_modules` collects the
module list on the slow path. This package deliberately imports nothing on its own, so that
importing it stays free.
"""
