"""``openwer analyze DUMP``: what crashed and where, from a minidump, like ``!analyze``.

Prints the crash reason, address and code, the crashing thread, every thread's stack (each
frame with module!function [file : line + offset], its registers and how it was found) and the
modules; ``--json`` prints the stable document of docs/analyze.md instead. ``--symbols`` adds a
Breakpad symbol directory (``DIR/<debug file>/<debug id>/<name>.sym``) or one ``.sym`` file; it
may be repeated. For Linux dumps analysed on the machine that crashed, the ELF files at the
modules' paths are used too when their build ids match (``--no-local`` turns that off).

Exit status: 0 when the dump was read, even in part (the damage is listed); 1 with one line on
stderr when the file is not a minidump or cannot be read.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["analyze"]


@click.command("analyze")
@click.argument("dump", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--symbols",
    "symbol_paths",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="A Breakpad symbol directory or .sym file (repeatable).",
)
@click.option(
    "--local/--no-local",
    "local_binaries",
    default=True,
    help="Use the ELF binaries at the modules' paths when their build ids match (default: on).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document (docs/analyze.md).")
def analyze(
    dump: Path, symbol_paths: tuple[Path, ...], local_binaries: bool, as_json: bool
) -> None:
    """Analyse a minidump: crash reason, crashing thread, stacks of every thread, modules."""
    from openwer.analysis.analysis_document import analysis_document
    from openwer.analysis.dump_file import analyze_dump_file
    from openwer.analysis.stackwalk_text import render_text
    from openwer.errors import OpenwerError

    try:
        analysis = analyze_dump_file(dump, symbol_paths, local_binaries=local_binaries)
    except (OpenwerError, OSError):
        raise  # one line and exit 1, from the command group
    except Exception as exc:  # a reader bug must still end in one line, not a traceback
        raise click.ClickException(f"internal error while analysing {dump}: {exc!r}") from exc
    if as_json:
        click.echo(json.dumps(analysis_document(analysis), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(analysis), nl=False)
