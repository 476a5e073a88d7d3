"""Real programs that block (and deadlock) on purpose, for the wait-chain tests.

Run as a script, ``python blocked_programs.py SCENARIO``, it sets up one situation, prints one
JSON line naming the pids and tids involved, and blocks forever. Imported, it starts those
scenarios (and the gcc-built ABBA program) in their own process group and kills the whole group
afterwards, whatever happens in the test; :func:`wait_for_syscall` waits until a thread really
sits in the call a scenario promises, since the JSON line comes just before the blocking call.

Scenarios: ``waitpid_cycle``, ``pidfd_cycle``, ``child_wait``, ``flock FOLDER [flock|lockf]``,
``flock_cycle FOLDER``, ``flock_private_holder FOLDER``, ``unix_socket``, ``busy``,
``pipeline N``, ``python_lock_pipe``, ``zombie_main``.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
SRC = HERE.parents[2] / "src"

ABBA_SOURCE = r"""
/* "private"/"shared": two threads deadlocked ABBA on two mutexes of that kind.
   "abandoned": a thread exits holding a mutex the main thread then waits for.
   "pi": the main thread holds a priority-inheritance mutex and joins a thread that waits for it
   (an ABBA on PI mutexes would not do: the kernel detects it and glibc parks the thread on a
   stack word, hiding which mutex it wanted). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t a, b;
static pthread_barrier_t ready;
static long tid1, tid2;

static void *first(void *unused) {
    tid1 = syscall(SYS_gettid);
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&ready);
    pthread_mutex_lock(&b);
    return unused;
}

static void *second(void *unused) {
    tid2 = syscall(SYS_gettid);
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&ready);
    pthread_mutex_lock(&a);
    return unused;
}

static void *grab_and_exit(void *unused) {
    tid1 = syscall(SYS_gettid);
    pthread_mutex_lock(&a);
    return unused;
}

static void *pi_waiter(void *unused) {
    tid2 = syscall(SYS_gettid);
    pthread_barrier_wait(&ready);
    pthread_mutex_lock(&a);
    return unused;
}

int main(int argc, char **argv) {
    pthread_mutexattr_t attr;
    pthread_t one, two;
    const char *mode = argc > 1 ? argv[1] : "private";
    pthread_mutexattr_init(&attr);
    if (strcmp(mode, "shared") == 0)
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (strcmp(mode, "pi") == 0)
        pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&a, &attr);
    pthread_mutex_init(&b, &attr);
    if (strcmp(mode, "abandoned") == 0) {
        /* A thread exits holding A; the main thread then waits for A forever. */
        pthread_create(&one, NULL, grab_and_exit, NULL);
        pthread_join(one, NULL);
        tid2 = syscall(SYS_gettid);
        printf("{\"pid\": %d, \"t1\": %ld, \"t2\": %ld, \"a\": %lu, \"b\": %lu}\n",
               getpid(), tid1, tid2, (unsigned long)&a, (unsigned long)&b);
        fflush(stdout);
        pthread_mutex_lock(&a);
        return 0;
    }
    if (strcmp(mode, "pi") == 0) {
        tid1 = syscall(SYS_gettid);
        pthread_barrier_init(&ready, NULL, 2);
        pthread_mutex_lock(&a);
        pthread_create(&two, NULL, pi_waiter, NULL);
        pthread_barrier_wait(&ready);
        one = two;
    } else {
        pthread_barrier_init(&ready, NULL, 3);
        pthread_create(&one, NULL, first, NULL);
        pthread_create(&two, NULL, second, NULL);
        pthread_barrier_wait(&ready);
    }
    printf("{\"pid\": %d, \"t1\": %ld, \"t2\": %ld, \"a\": %lu, \"b\": %lu}\n", getpid(),
           tid1, tid2, (unsigned long)&a, (unsigned long)&b);
    fflush(stdout);
    pthread_join(one, NULL);
    return 0;
}
"""


@dataclass
class Running:
    """A started scenario: its process and the ids it printed."""

    process: subprocess.Popen[str]
    info: dict[str, Any]


def gcc() -> str | None:
    """The C compiler, or None (the C tests then skip)."""
    return shutil.which("gcc") or shutil.which("cc")


def build_abba(folder: Path) -> Path:
    """Compile the ABBA deadlock program into ``folder``."""
    compiler = gcc()
    assert compiler is not None
    source = folder / "abba.c"
    source.write_text(ABBA_SOURCE)
    binary = folder / "abba"
    subprocess.run(
        [compiler, "-O0", "-pthread", "-o", str(binary), str(source)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return binary


@contextlib.contextmanager
def running(argv: list[str], timeout: float = 15.0) -> Iterator[Running]:
    """Start ``argv`` in a new session, read its JSON line, and kill its whole group at exit."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"{argv} printed nothing in {timeout} s")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{argv} exited with {process.wait(5)}")
        yield Running(process, json.loads(line))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def scenario(
    name: str, *args: str, timeout: float = 15.0
) -> contextlib.AbstractContextManager[Running]:
    """Start one of this file's scenarios (see the module docstring)."""
    return running([sys.executable, str(HERE), name, *args], timeout=timeout)


def wait_for_syscall(
    pid: int, tid: int, names: set[str], first_arg: int | None = None, timeout: float = 10.0
) -> None:
    """Wait until thread ``tid`` of ``pid`` is blocked in one of the system calls ``names``
    (with ``first_arg`` as its first argument, when given: a futex's address, an fd)."""
    from openwer.platform.proc_task import TaskSyscallState, read_task_status, read_task_syscall

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        call = read_task_syscall(pid, tid)
        last = call.name or call.state.value
        if (
            call.state is TaskSyscallState.IN_SYSCALL
            and call.name in names
            and (first_arg is None or call.arg(0) == first_arg)
            and read_task_status(pid, tid).state in ("S", "D")
        ):
            return
        time.sleep(0.01)
    raise TimeoutError(f"thread {tid} of {pid} is in {last}, not in {sorted(names)}")


def wait_until_running(pid: int, tid: int, timeout: float = 10.0) -> None:
    """Wait until thread ``tid`` of ``pid`` is on a CPU or runnable."""
    from openwer.platform.proc_task import read_task_status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_task_status(pid, tid).state == "R":
            return
        time.sleep(0.01)
    raise TimeoutError(f"thread {tid} of {pid} is not running")


def drop_ptrace_capability() -> None:
    """Drop ``CAP_SYS_PTRACE`` from this process's effective and permitted sets.

    The kernel lets a process inspect another of the same user only if its permitted
    capabilities include the target's: the scenarios that test refusals drop it too.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable} words
    if libc.capget(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    data[0] &= ~(1 << 19)  # CAP_SYS_PTRACE
    data[1] &= ~(1 << 19)
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def run_without_ptrace_capability(
    code: str, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` in a child that has dropped ``CAP_SYS_PTRACE`` (same user)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE.parent)]))
    prelude = "import blocked_programs; blocked_programs.drop_ptrace_capability()\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


# --- the scenarios themselves, run in the child ------------------------------------------------


def _say(**ids: Any) -> None:
    print(json.dumps(ids), flush=True)


def _forever() -> None:
    while True:
        time.sleep(3600)


def _waitpid_cycle() -> None:
    # The parent waits for its child; the child reads a pipe only the parent could write.
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(write_end)
        os.read(read_end, 1)
        os._exit(0)
    os.close(read_end)
    _say(parent=os.getpid(), child=child)
    os.waitpid(child, 0)


def _pidfd_cycle() -> None:
    # The parent reads a pipe whose only writer, its child, waits (pidfd) for the parent to exit.
    parent = os.getpid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        poller = select.poll()
        poller.register(os.pidfd_open(parent), select.POLLIN)
        poller.poll()
        os._exit(0)
    os.close(write_end)
    _say(parent=parent, child=child)
    os.read(read_end, 1)


def _child_wait() -> None:
    # A worker thread waits for a child that sleeps: no cycle.
    child = os.fork()
    if child == 0:
        _forever()
    waiter: list[int] = []
    started = threading.Event()

    def wait() -> None:
        waiter.append(threading.get_native_id())
        started.set()
        os.waitpid(child, 0)

    threading.Thread(target=wait, daemon=True).start()
    started.wait()
    _say(pid=os.getpid(), waiter=waiter[0], child=child)
    _forever()


def _flock(folder: str, kind: str, cycle: bool, private_holder: bool = False) -> None:
    # The parent holds a lock on a file (flock, or lockf's POSIX lock); its child blocks taking
    # it. With cycle, the parent then waits for the child (a deadlock); without, it sleeps.
    if private_holder:
        drop_ptrace_capability()  # so that a walker without it may still read the waiter
    path = os.path.join(folder, "locked")
    take = fcntl.lockf if kind == "lockf" else fcntl.flock
    holder = open(path, "w")  # noqa: SIM115 - held until the process dies
    take(holder, fcntl.LOCK_EX)
    child = os.fork()
    if child == 0:
        waiter = open(path, "w")  # noqa: SIM115
        take(waiter, fcntl.LOCK_EX)
        os._exit(0)
    if private_holder:
        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: only CAP_SYS_PTRACE may inspect us
    _say(holder=os.getpid(), waiter=child, path=path)
    if cycle:
        os.waitpid(child, 0)
    _forever()


def _unix_socket() -> None:
    # The parent receives on a socketpair whose other end its child holds and never writes.
    mine, theirs = socket.socketpair()
    child = os.fork()
    if child == 0:
        mine.close()
        _forever()
    theirs.close()
    _say(pid=os.getpid(), child=child, inode=os.fstat(mine.fileno()).st_ino)
    mine.recv(1)


def _busy() -> None:
    _say(pid=os.getpid())
    while True:
        pass


def _pipeline(count: int) -> None:
    # Process 0 reads a pipe written by process 1, which reads one written by process 2, …; the
    # last sleeps. 2 nodes per process: a long chain without a cycle.
    pids = [os.getpid()]
    upstream: int | None = None  # the write end this process's parent reads from
    for _ in range(count - 1):
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read_end)
            if upstream is not None:
                os.close(upstream)  # inherited: only the parent's own writer keeps it open
            upstream = write_end
            pids.append(os.getpid())
            continue
        os.close(write_end)
        os.read(read_end, 1)
        os._exit(0)
    _say(pids=pids)  # the last process knows every pid; stdout is shared by all
    _forever()


def _python_lock_pipe() -> None:
    # A worker takes a Python lock, then reads a pipe whose only writer, a child, waits (pidfd)
    # for this process to exit; the main thread waits for the lock.
    parent = os.getpid()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        poller = select.poll()
        poller.register(os.pidfd_open(parent), select.POLLIN)
        poller.poll()
        os._exit(0)
    os.close(write_end)
    lock = threading.Lock()
    owner: list[int] = []
    taken = threading.Event()

    def hold_and_read() -> None:
        with lock:
            owner.append(threading.get_native_id())
            taken.set()
            os.read(read_end, 1)

    threading.Thread(target=hold_and_read, daemon=True).start()
    taken.wait()
    _say(pid=parent, waiter=threading.get_native_id(), owner=owner[0], child=child)
    lock.acquire()


def _zombie_main() -> None:
    # The main thread exits (pthread_exit) while a worker sleeps on: a zombie thread leader.
    tids: list[int] = []
    started = threading.Event()

    def sleep() -> None:
        tids.append(threading.get_native_id())
        started.set()
        _forever()

    threading.Thread(target=sleep).start()
    started.wait()
    _say(pid=os.getpid(), worker=tids[0])
    ctypes.CDLL(None).pthread_exit(None)


def main(argv: list[str]) -> None:
    """Run scenario ``argv[0]``."""
    name = argv[0]
    if name == "waitpid_cycle":
        _waitpid_cycle()
    elif name == "pidfd_cycle":
        _pidfd_cycle()
    elif name == "child_wait":
        _child_wait()
    elif name in ("flock", "flock_cycle", "flock_private_holder"):
        # argv: FOLDER [flock|lockf]
        kind = argv[2] if len(argv) > 2 else "flock"
        _flock(argv[1], kind, name == "flock_cycle", name == "flock_private_holder")
    elif name == "unix_socket":
        _unix_socket()
    elif name == "busy":
        _busy()
    elif name == "pipeline":
        _pipeline(int(argv[1]))
    elif name == "python_lock_pipe":
        _python_lock_pipe()
    elif name == "zombie_main":
        _zombie_main()
    else:
        raise SystemExit(f"unknown scenario {name}")
    _forever()


if __name__ == "__main__":
    main(sys.argv[1:])
