"""``openwer``: the command-line entry point and its error contract.

Errors are one line on stderr: bad input (an unknown key, an invalid setting, a damaged file)
exits 1; usage errors (unknown option, missing argument) exit 2, as click does.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from openwer.cli.analyze_command import analyze
from openwer.cli.bucket_commands import buckets
from openwer.cli.config_commands import config, exclude
from openwer.cli.report_commands import reports, store
from openwer.cli.retention_command import prune_bundles
from openwer.cli.run_command import run
from openwer.cli.server_commands import products, serve, tokens
from openwer.cli.solution_commands import solutions
from openwer.cli.upload_commands import preview_report, upload_reports
from openwer.cli.user_commands import users
from openwer.cli.waitchain_command import waitchain
from openwer.errors import OpenwerError

__all__ = ["cli", "main"]


class _OpenwerGroup(click.Group):
    """A group that turns openwer's own errors into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpenwerError as exc:
            click.echo(f"openwer: error: {exc}", err=True)
            ctx.exit(1)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"openwer: error: {exc.strerror or exc}{where}", err=True)
            ctx.exit(1)


@click.group(cls=_OpenwerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="openwer", prog_name="openwer")
def cli() -> None:
    """openwer: Windows Error Reporting for Python programs and Linux.

    Reports wait in a local queue (user or machine store) until they are sent to your collection
    server, then move to the archive. Settings live in TOML files (machine, user, policy);
    OPENWER_HOME moves every path under one folder.
    """


for _command in (reports, store, config, exclude, run, serve, products, tokens, prune_bundles):
    cli.add_command(_command)
cli.add_command(buckets)
cli.add_command(analyze)
cli.add_command(solutions)
cli.add_command(users)
cli.add_command(waitchain)
reports.add_command(upload_reports)
reports.add_command(preview_report)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="openwer")
    sys.exit(0)
