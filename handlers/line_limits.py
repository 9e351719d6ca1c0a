"""LINE's documented limits, enforced on every outgoing message: a reply that would break one is shortened, not dropped."""
from __future__ import annotations

import json
import re

MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_QUICK_REPLY = 13
MAX_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_ALT_TEXT = 1500
MAX_BUBBLE_BYTES = 30 * 1024
MAX_DISPLAY_TEXT = 300

_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def cut_utf16(s: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten to at most `limit` UTF-16 units without splitting a surrogate pair or a grapheme's base."""
    if utf16_len(s) <= limit:
        return s
    budget = limit - utf16_len(ellipsis)
    out, used = [], 0
    for ch in s:
        n = 2 if ord(ch) > 0xFFFF else 1
        if used + n > budget:
            break
        out.append(ch)
        used += n
    return "".join(out) + ellipsis


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split a long text at sentence ends (or line ends) into chunks of at most `limit` UTF-16 units."""
    text = text.strip()
    if utf16_len(text) <= limit:
        return [text] if text else []
    parts, cur = [], ""
    for piece in _SENTENCE_END.split(text):
        if not piece:
            continue
        if utf16_len(cur + piece) <= limit:
            cur += piece
            continue
        if cur:
            parts.append(cur.strip())
        while utf16_len(piece) > limit:            # one sentence longer than the limit: cut at the limit
            head = cut_utf16(piece, limit, ellipsis="")
            parts.append(head)
            piece = piece[len(head):]
        cur = piece
    if cur.strip():
        parts.append(cur.strip())
    return [p for p in parts if p]


def label(s: str) -> str:
    return cut_utf16(s.replace("\n", " ").strip(), MAX_LABEL) or "…"


def bubble_size(bubble: dict) -> int:
    return len(json.dumps(bubble, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
