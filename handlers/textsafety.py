"""Making residents' text safe to process and store, whatever bytes arrived.

LINE's JSON may carry escapes that decode to characters no encoder accepts (a lone surrogate such as "\\ud800")
or that PostgreSQL refuses in text (NUL). Such a question must still be answered and recorded, so it is cleaned
once where it enters (handlers.line_events._handle), before the tokenizer, the store and the spool see it.
"""
from __future__ import annotations

import re

# C0 controls except TAB, LF, CR; DEL. (Printable text, emoji, every script and combining mark stay.)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str | None) -> str:
    """Lone surrogates become U+FFFD, control characters are dropped; all else is kept as it is."""
    if not text:
        return ""
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROLS.sub("", text)


def storable(text: str | None) -> str | None:
    """The minimum for storage on every backend: no NUL (PostgreSQL), no lone surrogate (UTF-8 encoders)."""
    if text is None:
        return None
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))
