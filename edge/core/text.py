"""Text for people: one line, a bounded length, and secrets left out.

Every message that quotes something a person or a broker client wrote (a config value, a path,
a URL) goes through these, so a 5,000-character name, a newline or a password never reaches an
error line, the journal or ``check-config``'s output.
"""

from __future__ import annotations

import re

#: What stands for a secret in output.
REDACTED = "***"
#: Longest quoted value in a message.
MAX_QUOTED = 120

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s]*):(?P<password>[^/@\s]*)@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """``text`` on one line: newlines and other control characters become spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` cut to ``limit`` characters, keeping its start and end (``start…end``)."""
    if len(text) <= limit:
        return text
    head = max(1, (limit - 1) * 2 // 3)
    tail = max(0, limit - 1 - head)
    return text[:head] + "…" + (text[-tail:] if tail else "")


def quote(value: object, limit: int = MAX_QUOTED) -> str:
    """``repr(value)`` for a message: one line, at most ``limit`` characters, never raising."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # nested too deeply, or a huge integer
        text = f"<{type(value).__name__}>"
    return shorten(one_line(text), limit)


def redact_url(url: str) -> str:
    """A URL with the password of its ``user:password@`` part replaced by :data:`REDACTED`."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", url)
