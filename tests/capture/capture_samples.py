"""Shared helpers of the capture-engine tests: sample bugs, fake installs and child programs.

Not a conftest (mypy sees one module per name): tests import it as ``capture_samples``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from openwer.capture.config import CaptureConfig

APP_CONFIG = CaptureConfig(
    app_name="sampleapp", app_version="1.2.3", app_timestamp=None, app_packages=()
)

ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def raised(action: Callable[[], object]) -> Exception:
    """Run ``action`` and return the exception it raises (fails the test if none)."""
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError("the action did not raise")


def from_site_packages(exc: Exception) -> Exception:
    """Drop the outer frames of ``exc``'s traceback until the first one in a site-packages."""
    tb = exc.__traceback__
    while tb is not None and "site-packages" not in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return exc.with_traceback(tb)


def first_bug(values: Mapping[str, int]) -> int:
    """Bug one: a KeyError on a missing key."""
    return values["missing"]


def second_bug(values: Mapping[str, int]) -> int:
    """Bug two: another function, another line, another type."""
    total = 0
    total += 1
    return int(str(values)) + total


def recurse(depth: int) -> int:
    """Recurse ``depth`` times, then fail."""
    if depth <= 0:
        raise ValueError("bottom")
    return recurse(depth - 1) + 1


def strings_in(document: object) -> Iterator[str]:
    """Every string (keys and values) in a JSON document."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for key, value in document.items():
            yield str(key)
            yield from strings_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from strings_in(item)


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Create ``files`` (relative path → text, dedented) under ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def fake_site_packages(root: Path, files: Mapping[str, str]) -> Path:
    """Create ``root/lib/python3.11/site-packages`` holding ``files`` and return it."""
    site = root / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    write_files(site, files)
    return site


# A program that reports its own crash as the capture engine sees it, printing JSON to stdout:
# the parameters, bucket id, stack.json and threads.json. Copied beside each sample program.
HARNESS = """
import json, sys

def _hook(kind, exc, tb):
    from openwer.capture.config import CaptureConfig
    from openwer.capture.report_builder import ExceptionKind, build_exception_report
    from openwer.capture.signature import python_signature

    config = CaptureConfig.resolve()
    signature = python_signature(exc, config)
    report = build_exception_report(exc, ExceptionKind.MAIN_THREAD, config, include_locals=False)
    files = {f.name: f.data.decode() for f in report.files()}
    print(json.dumps({
        "parameters": [[p.name, p.value] for p in report.parameters],
        "bucket": signature.bucket_ids().bucket_id_string,
        "stack": json.loads(files["stack.json"]),
        "threads": json.loads(files["threads.json"]),
        "problems": files.get("capture-problems.txt", ""),
    }))

def install():
    sys.excepthook = _hook
"""


def parameter_values(result: Mapping[str, object]) -> list[str]:
    """The nine parameter values of a :func:`run_child` result."""
    parameters = result["parameters"]
    assert isinstance(parameters, list)
    return [str(value) for _, value in parameters]


def run_child(
    args: list[str], *, cwd: Path, home: Path, pythonpath: Sequence[Path] = ()
) -> dict[str, object]:
    """Run ``python args…`` in ``cwd`` with ``HOME=home`` and return the harness's JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OPENWER"))}
    env["HOME"] = str(home)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip(), f"no output; stderr:\n{done.stderr}"
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
