"""``!analyze`` for a minidump: the crash, the crashing thread, and every thread's stack.

:func:`analyze_minidump` walks every thread of a parsed dump with the symbols a
:class:`~openwer.analysis.module_symbols.SymbolProvider` finds. The crashing thread is walked
from the exception's context (its registers at the fault), not from the thread list's, which on
Windows may hold the exception handler's. The thread that wrote the dump (Breakpad's dump thread)
is walked too, and marked.

Pure computation over the dump and the provider; thread-safe if the provider is used by one
analysis at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from openwer.analysis.module_symbols import NoSymbols, SymbolProvider
from openwer.analysis.stack_frame import CallStack
from openwer.analysis.stack_walker import WalkLimits, walk_stack
from openwer.analysis.walk_environment import SymbolCache
from openwer.formats.minidump import CrashSummary, Minidump

__all__ = ["CrashAnalysis", "ThreadAnalysis", "analyze_minidump"]


@dataclass(frozen=True, slots=True)
class ThreadAnalysis:
    """One thread of the dump and its stack.

    Attributes:
        thread_id: the OS thread id.
        name: the thread's name, if the dump records it.
        crashed: whether this is the thread of the exception stream.
        dump_thread: whether this is the thread that wrote the dump (Breakpad clients).
        stack: its stack walk.
    """

    thread_id: int
    name: str | None
    crashed: bool
    dump_thread: bool
    stack: CallStack


@dataclass(frozen=True, eq=False)
class CrashAnalysis:
    """The result of analysing one dump.

    Attributes:
        dump: the parsed dump (modules, system info, damage…).
        crash: the named crash, if the dump has an exception stream.
        crashing_thread: index into ``threads`` of the crashed thread, if it is listed.
        threads: every thread of the thread list, in its order.
        symbol_problems: symbol files found but unusable, one line each.
        symbolized_modules: indexes of modules for which symbols were found.
    """

    dump: Minidump
    crash: CrashSummary | None
    crashing_thread: int | None
    threads: tuple[ThreadAnalysis, ...]
    symbol_problems: tuple[str, ...]
    symbolized_modules: frozenset[int]


def analyze_minidump(
    dump: Minidump,
    symbols: SymbolProvider | None = None,
    limits: WalkLimits | None = None,
) -> CrashAnalysis:
    """Walk and symbolize every thread of ``dump``."""
    provider = symbols if symbols is not None else NoSymbols()
    limits = limits or WalkLimits()
    budget = limits.max_total_frames
    cache = SymbolCache(provider)
    crash = dump.crash
    crash_tid = dump.exception.thread_id if dump.exception else None
    dump_tid = dump.breakpad_info.dump_thread_id if dump.breakpad_info else None
    threads: list[ThreadAnalysis] = []
    crashing = None
    for thread in dump.threads:
        crashed = thread.thread_id == crash_tid
        context = thread.context
        if crashed and dump.exception is not None and dump.exception.context is not None:
            context = dump.exception.context
        if crashed and crashing is None:
            crashing = len(threads)
        # A dump can list many threads sharing one stack: the total work is bounded too.
        thread_limits = replace(limits, max_frames=max(1, min(limits.max_frames, budget)))
        stack = walk_stack(
            dump, thread.thread_id, context, thread.stack.start, cache, thread_limits
        )
        budget -= len(stack.frames)
        threads.append(
            ThreadAnalysis(
                thread.thread_id,
                dump.thread_name(thread.thread_id),
                crashed,
                thread.thread_id == dump_tid,
                stack,
            )
        )
    symbolized = frozenset(
        index
        for index, module in enumerate(dump.modules)
        if index in cache.loaded and cache.get(index, module) is not None
    )
    return CrashAnalysis(dump, crash, crashing, tuple(threads), provider.problems, symbolized)
