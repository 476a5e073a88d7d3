"""Secret-looking names and the redaction of their values.

A name *looks secret* when it contains, case-insensitively, one of: password, passwd, passphrase,
pwd, secret, token, api_key/apikey/api-key, auth (authorization, oauth…), cookie, session,
credential, private_key, access_key, csrf, xsrf, bearer, jwt, signature. Erring on the side of
redacting: ``author`` is redacted too.

* :func:`redact_text` blanks the values of ``name=value`` and ``'name': value`` pairs with such
  names inside a ``repr`` (dataclasses, dicts of any kind, keyword-style reprs), and the password
  of ``scheme://user:password@host`` URLs.
* :func:`redact_command_line` does the same for ``--password=…``, ``--token …`` and
  ``PASSWORD=…`` arguments.

Pure functions; never raise; thread-safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["REDACTED", "is_secret_name", "redact_command_line", "redact_text"]

REDACTED = "[redacted]"

_SECRET = re.compile(
    r"passw|passphrase|pwd|secret|token|api[-_]?key|auth|cookie|session|credential"
    r"|private[-_]?key|access[-_]?key|csrf|xsrf|bearer|jwt|signature",
    re.IGNORECASE,
)

# name=value or 'name': value inside a repr; the value is a quoted string (with escapes), or a
# bare token up to the next separator.
_PAIR = re.compile(
    r"""(?P<key>(?P<q>['"]?)[A-Za-z_][\w.-]*(?P=q))(?P<sep>\s*(?:=|:)\s*)"""
    r"""(?P<value>\[redacted\]|[bru]{0,2}'(?:[^'\\]|\\.)*'?|[bru]{0,2}"(?:[^"\\]|\\.)*"?|[^\s,)}\]>]+)"""
)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+(?=@)")


def is_secret_name(name: str) -> bool:
    """True when ``name`` looks like it holds a secret (see the module docstring)."""
    return _SECRET.search(name) is not None


def _redact_pair(match: re.Match[str]) -> str:
    if not is_secret_name(match.group("key")):
        return match.group(0)
    return f"{match.group('key')}{match.group('sep')}{REDACTED}"


def redact_text(text: str) -> str:
    """Blank secret-looking values in ``text`` (a repr, a message, a command line)."""
    try:
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
        return _PAIR.sub(_redact_pair, text)
    except Exception:  # a regex failing on odd input: redact all rather than leak
        return REDACTED


def redact_command_line(argv: Sequence[str]) -> list[str]:
    """Return ``argv`` with the values of secret-looking options blanked.

    ``--password=x`` and ``PASSWORD=x`` keep their names; ``--token x`` blanks the argument
    after the option; URLs lose their passwords.
    """
    redacted: list[str] = []
    blank_next = False
    for argument in argv:
        if blank_next:
            redacted.append(REDACTED)
            blank_next = False
            continue
        name, equals, _ = argument.partition("=")
        if equals and is_secret_name(name):
            redacted.append(f"{name}={REDACTED}")
        elif argument.startswith("-") and not equals and is_secret_name(argument):
            redacted.append(argument)
            blank_next = True
        else:
            redacted.append(_URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, argument))
    return redacted
