"""Bugsink, the side-by-side reference of ``bench_bundle.py``, used as a black box.

Bugsink (https://www.bugsink.com, PolyForm Shield licence: none of its code is copied here) is
installed with pip into its own venv under ``.cache/bench/bugsink-venv`` and set up the way its
``singleserver`` production template describes: Django under gunicorn (2 workers x 4 threads,
gthread), SQLite for the data and for snappea, its database-as-queue task runner. Its ingest
API (``POST /api/<project>/envelope/``) only stores the event in a file and queues a ``digest``
task; a separate ``bugsink-runsnappea`` process digests it (grouping, the Event row, counts).
With ``TASK_ALWAYS_EAGER`` (``digest="eager"``, its ``local`` template) the digest runs inside
the request instead. Either way an event is "accepted and digested" once its row is in the
``events_event`` table, which :meth:`BugsinkServer.event_count` reads directly.

Changed from the template, for a load test: the BASE_URL is plain HTTP on the chosen port, the
per-project and installation event quotas (1,000 per 5 minutes by default, after which ingest
answers 429) are lifted, and phoning home is off.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from served_openwer import free_port
from server_readiness import wait_until_answering

__all__ = ["VENV", "BugsinkServer", "ensure_bugsink"]

VENV = Path(__file__).resolve().parent.parent / ".cache" / "bench" / "bugsink-venv"
WORKERS = 2
THREADS = 4

_OVERRIDES = """

# --- openwer benchmark overrides -----------------------------------------------------------
BUGSINK["BASE_URL"] = "http://127.0.0.1:{port}"
ALLOWED_HOSTS = ["127.0.0.1"]
BUGSINK["PHONEHOME"] = False
for _quota in (
    "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES",
    "MAX_EVENTS_PER_PROJECT_PER_HOUR",
    "MAX_EVENTS_PER_PROJECT_PER_MONTH",
    "MAX_EVENTS_PER_5_MINUTES",
    "MAX_EVENTS_PER_HOUR",
    "MAX_EVENTS_PER_MONTH",
):
    BUGSINK[_quota] = 1_000_000_000
SNAPPEA["TASK_ALWAYS_EAGER"] = {eager}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
"""


def ensure_bugsink() -> Path | str:
    """The bin folder of Bugsink's venv, installing it when missing; or why it cannot be."""
    bin_dir = VENV / "bin"
    if all((bin_dir / name).exists() for name in ("gunicorn", "bugsink-manage")):
        return bin_dir
    print(f"installing Bugsink into {VENV} (pip install bugsink)...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(VENV)],
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "bugsink"],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(step[-3:])}: {exc}"
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if "ERROR" in line]
            last = (lines or done.stderr.splitlines() or ["(no output)"])[-1]
            return f"{' '.join(step[-3:])} failed: {last.strip()}"
    return bin_dir


class BugsinkServer:
    """A throwaway Bugsink in ``base_dir``: configured, migrated, one project, running.

    ``digest`` is ``"snappea"`` (the production setup: a separate task runner digests) or
    ``"eager"`` (the digest runs inside the ingest request).
    """

    def __init__(self, bin_dir: Path, base_dir: Path, digest: str = "snappea") -> None:
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self.digest = digest
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.project_id = 0
        self.sentry_key = ""
        self._processes: list[subprocess.Popen[bytes]] = []
        self._env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bugsink_conf",
            "PYTHONPATH": str(base_dir),
        }

    def _run(self, *command: str) -> str:
        done = subprocess.run(
            [str(self.bin_dir / command[0]), *command[1:]],
            cwd=self.base_dir,
            env=self._env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bugsink: {' '.join(command)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def _configure(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        conf = self.base_dir / "bugsink_conf.py"
        self._run(
            "bugsink-create-conf",
            "--template=singleserver",
            "--host=127.0.0.1",
            f"--base-dir={self.base_dir}",
            f"--output-file={conf}",
        )
        eager = self.digest == "eager"
        with conf.open("a", encoding="utf-8") as out:
            out.write(_OVERRIDES.format(port=self.port, eager=eager))
        self._run("bugsink-manage", "migrate", "-v0")
        self._run("bugsink-manage", "migrate", "snappea", "--database=snappea", "-v0")
        dsn = self._run(
            "bugsink-manage",
            "shell",
            "-c",
            "from teams.models import Team; from projects.models import Project; "
            "print(Project.objects.create(name='bench', team=Team.objects.create(name='bench'))"
            ".dsn)",
        )
        found = re.search(r"://([0-9a-f]+)@[^/]+/(\d+)", dsn)
        if found is None:
            raise RuntimeError(f"bugsink: no DSN in {dsn!r}")
        self.sentry_key, self.project_id = found.group(1), int(found.group(2))

    def _start(self, log_name: str, *command: str) -> None:
        with (self.base_dir / log_name).open("wb") as log:
            self._processes.append(
                subprocess.Popen(
                    [str(self.bin_dir / command[0]), *command[1:]],
                    cwd=self.base_dir,
                    env=self._env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    @property
    def pids(self) -> list[int]:
        """gunicorn's master (its workers are its children), then snappea's foreman when it
        runs."""
        return [process.pid for process in self._processes]

    def __enter__(self) -> BugsinkServer:
        try:
            self._configure()
            self._start(
                "gunicorn.log",
                "gunicorn",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={WORKERS}",
                f"--threads={THREADS}",
                "--worker-class=gthread",
                "--no-control-socket",
                "bugsink.wsgi",
            )
            if self.digest == "snappea":
                self._start("snappea.log", "bugsink-runsnappea")
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _dead(self) -> list[object]:
        return [p.args for p in self._processes if p.poll() is not None]

    def _wait_ready(self) -> None:
        if not wait_until_answering(
            lambda: httpx.get(f"{self.url}/", timeout=2).status_code < 500,
            lambda: bool(self._dead()),
            interval=0.1,
        ):
            raise RuntimeError(f"bugsink did not start ({self._dead()}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of gunicorn's and snappea's logs."""
        tails = []
        for name in ("gunicorn.log", "snappea.log"):
            path = self.base_dir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                tails.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(tails)

    def _count(self, database: str, table: str) -> int:
        uri = f"file:{self.base_dir / database}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=30) as connection:
            row = connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        connection.close()
        return int(row[0])

    def event_count(self) -> int:
        """Events digested so far (rows of ``events_event``)."""
        return self._count("db.sqlite3", "events_event")

    def task_backlog(self) -> int:
        """Tasks waiting in snappea's queue (0 in eager mode)."""
        return self._count("snappea.sqlite3", "snappea_task")

    def wait_digested(self, target: int, quiet_seconds: float, limit_seconds: float) -> float:
        """Wait until at least ``target`` events are digested and snappea's queue is empty, or
        the count has not grown for ``quiet_seconds``, or ``limit_seconds`` have passed; return
        the monotonic time at which the count last grew (or now, if it did not grow)."""
        started = last_growth = time.monotonic()
        seen = self.event_count()
        while True:
            idle = self.task_backlog() == 0
            now = time.monotonic()
            if idle and seen >= target:
                return last_growth
            if now - last_growth > quiet_seconds or now - started > limit_seconds:
                return last_growth
            time.sleep(0.1)
            count = self.event_count()
            if count > seen:
                seen, last_growth = count, time.monotonic()

    def stop(self) -> None:
        """SIGTERM each process group we started (gunicorn stops its workers), SIGKILL after
        20 s. Idempotent."""
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):  # workers left by a dead master
                os.killpg(process.pid, signal.SIGKILL)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
