"""The settings reference (docs/settings.md), rendered from the schema so the two cannot drift."""

from __future__ import annotations

from openwer.settings.schema import SETTINGS

__all__ = ["render_settings_reference"]

_INTRO = """# Settings reference

openwer reads WER's settings from three TOML files, lowest precedence first: the machine file
(`/etc/openwer/settings.toml`), the user file (`$XDG_CONFIG_HOME/openwer/settings.toml`) and the
policy file (`/etc/openwer/policy.toml`, which overrides both), then environment variables
(`OPENWER__<Key>__<SubKey>=value`, `__` standing for the dot; `OPENWER_SERVER_URL` and
`OPENWER_SERVER_KEY` as shortcuts). `OPENWER_HOME=H` moves the files to `H/etc/openwer/` and
`H/config/openwer/`. Names are WER's registry value names, case-insensitive, with dots for
subkeys; `*` stands for an event type (consent), an executable (exclusions, local dumps).

```toml
DontShowUI = 1
[Consent]
DefaultConsent = 4          # 1 always ask, 2 parameters only, 3 + safe data, 4 all data
APPCRASH = 2                # per-event consent
[ExcludedApplications]
"myapp.py" = 1
[LocalDumps]                # local dumps are on only when this table exists
DumpCount = 5
[LocalDumps."myapp.py"]
DumpType = 2
[Server]
Url = "https://wer.example.com"
```

`openwer config get|set|unset|list` reads and edits these files; invalid values are refused with
the file, the key and the allowed range named. This page is generated from
`openwer.settings.schema` (`python -m openwer.settings.reference > docs/settings.md`).

| Setting | Allowed | Default | Files | Meaning |
|---|---|---|---|---|
"""


def render_settings_reference() -> str:
    """Return docs/settings.md as Markdown."""
    rows = []
    for spec in SETTINGS:
        default = "—" if spec.default is None else f"`{spec.format(spec.default)}`"
        levels = ", ".join(sorted(level.value for level in spec.levels))
        allowed = spec.allowed.replace("|", "\\|")
        rows.append(f"| `{spec.name}` | {allowed} | {default} | {levels} | {spec.description} |")
    return _INTRO + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(render_settings_reference(), end="")
