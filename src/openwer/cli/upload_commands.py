"""``openwer reports upload`` and ``openwer reports preview``: sending queued reports."""

from __future__ import annotations

import json
from typing import Any

import click

from openwer.errors import NotFoundError
from openwer.formats.protocol_json import stage1_request_to_json
from openwer.report import ReportContext
from openwer.report.delivery import stage1_request
from openwer.store import StoreScope
from openwer.transport.http import transport_from_settings
from openwer.types import FileFlags, SubmitFlags
from openwer.uploader.queue_upload import PassOutcome, _consent_of, upload_queue

__all__ = ["preview_report", "upload_reports"]

_SCOPES = {"user": StoreScope.USER, "machine": StoreScope.MACHINE}


@click.command("upload")
@click.option(
    "--store",
    "store_name",
    type=click.Choice(["user", "machine"]),
    default="user",
    help="Which store's queue (default: user).",
)
@click.option("--on-battery", is_flag=True, help="Upload even on battery power.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def upload_reports(store_name: str, on_battery: bool, as_json: bool) -> None:
    """Send the queued reports to the collection server (one pass, about 10 s at most)."""
    base = ReportContext.from_environment()
    settings = base.settings
    transport = transport_from_settings(settings.server_url, settings.server_key)
    if transport is None:
        raise NotFoundError(
            "no collection server configured: set Server.Url (openwer config set Server.Url URL)"
        )
    context = ReportContext(paths=base.paths, settings=settings, transport=transport)
    flags = SubmitFlags.BYPASS_POWER_THROTTLING if on_battery else SubmitFlags.NONE
    try:
        summary = upload_queue(context, scopes=(_SCOPES[store_name],), flags=flags)
    finally:
        transport.close()
    if as_json:
        body: dict[str, Any] = {
            "outcome": summary.outcome.value,
            "sent": summary.sent,
            "waiting_for_consent": summary.waiting_for_consent,
            "reports": [
                {
                    "key": u.key,
                    "result": u.result.name.lower(),
                    "bucket_id": u.bucket_id,
                    "solution": u.solution,
                    "solution_url": u.solution_url,
                }
                for u in summary.uploads
            ],
        }
        click.echo(json.dumps(body, indent=2))
        return
    for upload in summary.uploads:
        click.echo(f"{upload.result.name.lower():22s} {upload.key}")
        if upload.solution:
            click.echo(f"  solution: {upload.solution} {upload.solution_url or ''}".rstrip())
    notes = {
        PassOutcome.SERVER_UNREACHABLE: "the server could not be reached; the rest stays queued",
        PassOutcome.DEADLINE: "out of time; the rest stays queued",
        PassOutcome.BUSY: "another upload is running",
        PassOutcome.ON_BATTERY: "on battery: nothing sent (use --on-battery)",
    }
    click.echo(f"Sent {summary.sent} report(s).")
    if summary.waiting_for_consent:
        click.echo(
            f"{summary.waiting_for_consent} report(s) wait for consent (Consent.DefaultConsent is"
            " 'always ask'; set it to 2–4 or answer the prompt)."
        )
    if summary.outcome in notes:
        click.echo(notes[summary.outcome])


@click.command("preview")
@click.argument("key")
@click.option("--store", "store_name", type=click.Choice(["user", "machine"]), default=None)
def preview_report(key: str, store_name: str | None) -> None:
    """Show exactly what stage 1 and stage 2 would send for KEY under the current consent."""
    context = ReportContext.from_environment()
    scopes = [_SCOPES[store_name]] if store_name else [StoreScope.USER, StoreScope.MACHINE]
    for scope in scopes:
        store = context.store(scope)
        try:
            item = store.get(key)
        except NotFoundError:
            continue
        manifest = item.manifest
        consent = _consent_of(
            context, manifest.consent_key or manifest.event_type or "", manifest.consent
        )
        click.echo(
            f"Consent: level {int(consent.level)}"
            + (
                " (denied)"
                if consent.denied
                else " (waiting to ask the user)"
                if consent.must_ask
                else ""
            )
        )
        click.echo("")
        if not consent.allows_parameters:
            click.echo("Stage 1: nothing is sent under the current consent.")
        else:
            request = stage1_request(manifest, consent.level)
            click.echo("Stage 1 (POST /api/v1/reports):")
            click.echo(json.dumps(json.loads(stage1_request_to_json(request)), indent=2))
        click.echo("")
        click.echo("Stage 2 (only if the server asks for the bundle):")
        click.echo("  Report.wer")
        for entry in manifest.files:
            anonymous = bool((entry.flags or 0) & FileFlags.ANONYMOUS_DATA)
            present = entry.path is not None and (item.folder / entry.path).is_file()
            if not present:
                verdict = "not kept (archived as parameters only)"
            elif consent.allows_file(anonymous):
                verdict = "sent"
            else:
                verdict = "withheld: needs consent level " + ("3" if anonymous else "4")
            click.echo(f"  {entry.cab_name or entry.path}: {verdict}")
        return
    raise NotFoundError(f"no report with key {key!r} (see 'openwer reports list')")
