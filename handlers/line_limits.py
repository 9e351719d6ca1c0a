"""LINE's documented limits, enforced on every outgoing message: a reply that would break one is shortened, not dropped.

Numbers from ../shared/docs/line-messaging-api.md §2 (LINE Messaging API reference):
5 messages per reply/push; text 5,000 UTF-16 units; quick reply 13 items, labels 20 characters; postback data 300;
displayText 300; Flex altText 1,500; a bubble 30 KB of JSON; a carousel 50 KB.
"""
from __future__ import annotations

import json
import re
import unicodedata

MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_QUICK_REPLY = 13
MAX_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_ALT_TEXT = 1500
MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024
MAX_DISPLAY_TEXT = 300
MAX_MESSAGE_ACTION_TEXT = 300

# A sentence ends after 。！？!? (and their full-width forms), a line break, or ". " in Latin text.
_SENTENCE_END = re.compile(r"(?<=[。！？!?．\n])|(?<=[.;:] )")


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _ch16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _joins_previous(ch: str) -> bool:
    """True for a character that belongs to the one before it: combining marks (Devanagari vowel signs, the
    dakuten of decomposed kana), variation selectors, ZWJ, emoji skin-tone modifiers, tag characters."""
    o = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or o == 0x200D or 0xFE00 <= o <= 0xFE0F
            or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F or 0xE0100 <= o <= 0xE01EF)


def safe_cut_index(s: str, budget: int) -> int:
    """The largest index i such that s[:i] fits in `budget` UTF-16 units and does not end inside a character
    (surrogate pair) or a cluster (base + combining mark, ZWJ sequence, flag pair)."""
    used, i = 0, 0
    while i < len(s):
        n = _ch16(s[i])
        if used + n > budget:
            break
        used += n
        i += 1
    if i >= len(s):
        return len(s)
    j = i
    while j > 0 and (_joins_previous(s[j]) or s[j - 1] == "\u200d"):
        j -= 1
    # regional-indicator flags come in pairs: do not split one
    ri = 0
    k = j - 1
    while k >= 0 and 0x1F1E6 <= ord(s[k]) <= 0x1F1FF:
        ri += 1
        k -= 1
    if ri % 2 == 1 and j < len(s) and 0x1F1E6 <= ord(s[j]) <= 0x1F1FF:
        j -= 1
    return j if j > 0 else i          # a single cluster longer than the budget: cut it rather than return nothing


def cut_utf16(s: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten to at most `limit` UTF-16 units, never inside a character or cluster; marks the cut with `ellipsis`."""
    if utf16_len(s) <= limit:
        return s
    budget = max(0, limit - utf16_len(ellipsis))
    return s[:safe_cut_index(s, budget)] + ellipsis


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split a long text at sentence ends (or line ends) into chunks of at most `limit` UTF-16 units.

    A single sentence longer than the limit is cut at the last character boundary that fits; nothing is lost."""
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
        if cur.strip():
            parts.append(cur.strip())
        cur = ""
        while utf16_len(piece) > limit:            # one sentence longer than the limit: cut at the limit
            i = safe_cut_index(piece, limit)
            parts.append(piece[:i])
            piece = piece[i:]
        cur = piece
    if cur.strip():
        parts.append(cur.strip())
    return [p for p in parts if p]


def fit_chunks(chunks: list[str], max_messages: int = MAX_MESSAGES, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """At most `max_messages` chunks: the last one kept carries the start of what follows, shortened with '…'."""
    if len(chunks) <= max_messages:
        return chunks
    head = chunks[:max_messages - 1]
    tail = "\n".join(chunks[max_messages - 1:])
    return head + [cut_utf16(tail, limit)]


def label(s: str, limit: int = MAX_LABEL) -> str:
    return cut_utf16(" ".join((s or "").split()), limit) or "…"


def json_size(obj) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def bubble_size(bubble: dict) -> int:
    return json_size(bubble)


# ---------------------------------------------------------------------------------------------- checking

def _actions(obj):
    """Every action object inside a message (quick replies, Flex buttons, tappable boxes)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "action" and isinstance(v, dict):
                yield v
            yield from _actions(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _actions(v)


def violations(messages: list[dict]) -> list[str]:
    """Every documented LINE limit a reply or push body's `messages` would break; [] when it is fine."""
    out = []
    if not 1 <= len(messages) <= MAX_MESSAGES:
        out.append(f"{len(messages)} messages (1..{MAX_MESSAGES})")
    for i, m in enumerate(messages):
        t = m.get("type")
        if t == "text":
            n = utf16_len(m.get("text") or "")
            if not 1 <= n <= MAX_TEXT_UTF16:
                out.append(f"message {i}: text of {n} UTF-16 units")
            if "\ufffd" in (m.get("text") or ""):
                out.append(f"message {i}: replacement character in text")
        elif t == "flex":
            alt = m.get("altText") or ""
            if not 1 <= len(alt) <= MAX_ALT_TEXT:
                out.append(f"message {i}: altText of {len(alt)} characters")
            c = m.get("contents") or {}
            size = json_size(c)
            cap = MAX_CAROUSEL_BYTES if c.get("type") == "carousel" else MAX_BUBBLE_BYTES
            if size > cap:
                out.append(f"message {i}: flex {c.get('type')} of {size} bytes")
        qr = m.get("quickReply")
        if qr is not None:
            items = qr.get("items") or []
            if not 1 <= len(items) <= MAX_QUICK_REPLY:
                out.append(f"message {i}: {len(items)} quick reply items")
            for it in items:
                lbl = (it.get("action") or {}).get("label")
                if not lbl or len(lbl) > MAX_LABEL:
                    out.append(f"message {i}: quick reply label {lbl!r}")
        for a in _actions(m):
            if a.get("type") == "postback":
                if not a.get("data") or len(a["data"]) > MAX_POSTBACK_DATA:
                    out.append(f"message {i}: postback data of {len(a.get('data') or '')} characters")
                if len(a.get("displayText") or "") > MAX_DISPLAY_TEXT:
                    out.append(f"message {i}: displayText over {MAX_DISPLAY_TEXT}")
            if a.get("type") == "message" and not 1 <= len(a.get("text") or "") <= MAX_MESSAGE_ACTION_TEXT:
                out.append(f"message {i}: message action text of {len(a.get('text') or '')} characters")
            if a.get("label") is not None and len(a["label"]) > MAX_LABEL:
                out.append(f"message {i}: action label {a['label']!r} over {MAX_LABEL}")
    return out
