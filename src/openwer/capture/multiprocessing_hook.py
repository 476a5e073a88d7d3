"""Report exceptions that end a ``multiprocessing`` worker process.

``multiprocessing.Process`` catches whatever its ``run()`` raises, prints the traceback and exits
with status 1, so ``sys.excepthook`` never sees it. openwer wraps each process's ``run`` as its
bootstrap starts: the exception is reported, then re-raised, so multiprocessing prints and exits
exactly as before. Patching happens when multiprocessing is already imported at install time, and
again in every forked child (``fork`` start method); with ``spawn``/``forkserver`` the child is a
new interpreter, which must call ``openwer.install()`` itself (for example at module level or in a
pool initializer). Never raises into the host.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["watch_multiprocessing"]

log = logging.getLogger("openwer")

_MARK = "_openwer_patched"
_on_exception: Callable[[BaseException], None] | None = None


def _wrap_run(run: Callable[[], None]) -> Callable[[], None]:
    @functools.wraps(run)
    def wrapped() -> None:
        try:
            run()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if _on_exception is not None:
                try:
                    _on_exception(exc)
                except Exception:
                    log.exception("openwer: reporting a multiprocessing failure failed")
            raise

    return wrapped


def _patch() -> None:
    module = sys.modules.get("multiprocessing.process")
    if module is None:
        return
    process_class = module.BaseProcess
    if getattr(process_class, _MARK, False):
        return
    original = process_class._bootstrap

    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            self.run = _wrap_run(self.run)
        except Exception:
            log.exception("openwer: could not watch a multiprocessing worker")
        return original(self, *args, **kwargs)

    process_class._bootstrap = _bootstrap
    setattr(process_class, _MARK, True)


def watch_multiprocessing(on_exception: Callable[[BaseException], None]) -> None:
    """Report what ends a worker process's ``run()``; idempotent, the latest callback is used."""
    global _on_exception
    _on_exception = on_exception
    _patch()


def patch_after_fork() -> None:
    """Patch in a freshly forked child (multiprocessing may have been imported since install)."""
    if _on_exception is not None:
        try:
            _patch()
        except Exception:
            log.exception("openwer: could not watch multiprocessing after fork")
