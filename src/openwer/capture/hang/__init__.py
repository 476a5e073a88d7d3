"""Hangs and wait chains of Python programs (docs/hangs.md).

:mod:`~openwer.capture.hang.lock_tracking` records who owns each ``threading`` lock and what
every blocked thread waits for; :mod:`~openwer.capture.hang.heartbeat` and
:mod:`~openwer.capture.hang.loop_probe` are the progress signals of loops;
:mod:`~openwer.capture.hang.watchdog` samples them and files ``AppHangB1`` reports through
:mod:`~openwer.capture.hang.hang_report`. ``openwer.install()`` starts it all through
:mod:`~openwer.capture.hang.control`.

Like :mod:`openwer.capture`, this package imports nothing on its own: the parts that run on every
lock acquisition or heartbeat are small modules of their own.
"""
