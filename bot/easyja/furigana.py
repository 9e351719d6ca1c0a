"""Furigana renderer (漢字(かんじ) form) and 分かち書き (spaces between phrases).

    render_furigana(text, readings={}) -> str
    wakachi(text) -> str

Readings come, in this order of priority, from
1. text that already carries a reading (漢字(かんじ) / 漢字（かんじ）) — never annotated twice;
2. the caller's `readings` mapping (curated: 行って→おこなって, 14日→じゅうよっか, 一日→ついたち, place and
   program names); at each position the longest matching key wins;
3. built-in readings for Arabic numerals + counter (4月, 14日, 10分, 1人, 13時);
4. SudachiPy readings (katakana → hiragana).

A reading is placed after each kanji run, with okurigana outside: 行(おこな)って, 取(と)り扱(あつか)い,
14日(じゅうよっか).  `strip_furigana(render_furigana(t)) == t` for text without furigana.
"""
from __future__ import annotations

import re
from typing import Mapping

from ._nlp import (has_kanji, is_digit, is_hiragana, is_kanji, is_katakana, kata_to_hira, strip_furigana,
                   strip_furigana_map, strip_wakachi, tokenize)

__all__ = ["render_furigana", "wakachi", "strip_furigana"]

_NUMERALS = set("0123456789〇一二三四五六七八九十百千万")
_FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _is_numeral(c: str) -> bool:
    return c in _NUMERALS


def _is_kana(c: str) -> bool:
    return is_hiragana(c) or is_katakana(c) or c == "ー"


def align(surface: str, reading: str) -> list[tuple[int, str]]:
    """Split a word's reading over its kanji runs: 行って/おこなって → [(1, 'おこな')].

    Returns (end offset in surface, reading) for each run that contains kanji.  Kana in the surface is
    matched literally against the reading; if that fails, the reading (minus a shared kana ending) is put
    after the last kanji.
    """
    reading = kata_to_hira(reading)
    runs: list[tuple[int, int, bool]] = []  # (start, end, is_kana)
    i = 0
    while i < len(surface):
        k = _is_kana(surface[i])
        j = i
        while j < len(surface) and _is_kana(surface[j]) == k:
            j += 1
        runs.append((i, j, k))
        i = j
    pattern = "".join(re.escape(kata_to_hira(surface[a:b])) if k else "(.+?)" for a, b, k in runs)
    m = re.fullmatch(pattern, reading) if reading else None
    if m:
        out = []
        g = 0
        for a, b, k in runs:
            if k:
                continue
            g += 1
            if has_kanji(surface[a:b]):
                out.append((b, m.group(g)))
        return out
    # fallback: whole reading after the last kanji, minus the kana ending the surface and reading share
    last = max((idx + 1 for idx, c in enumerate(surface) if is_kanji(c)), default=0)
    if not last or not reading:
        return []
    tail = kata_to_hira(surface[last:])
    r = reading
    if tail and r.endswith(tail) and len(r) > len(tail):
        r = r[: -len(tail)]
    return [(last, r)]


# -----------------------------------------------------------------------------------------------------------
# built-in counter readings
# -----------------------------------------------------------------------------------------------------------
_DAYS = {1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか", 7: "なのか", 8: "ようか",
         9: "ここのか", 10: "とおか", 14: "じゅうよっか", 20: "はつか", 24: "にじゅうよっか"}
_COUNTER_RE = re.compile(r"(\d+)(日間|日|分間|分|人|月|時)")
# lowest-priority curated readings (the caller's mapping wins)
_BUILTIN_READINGS = {
    "二日": "ふつか", "三日": "みっか", "四日": "よっか", "五日": "いつか", "六日": "むいか", "七日": "なのか",
    "八日": "ようか", "九日": "ここのか", "十日": "とおか", "十四日": "じゅうよっか", "二十日": "はつか",
    "二十四日": "にじゅうよっか", "私": "わたし",
}


def _builtin(match_str: str, pos: int, m: re.Match) -> list[tuple[int, int, str]]:
    """Annotations (start, end, reading) in absolute offsets; start..end is the consumed span."""
    n = int(m.group(1))
    c = m.group(2)
    s, e = m.start(), m.end()
    if c == "日間":
        if n in _DAYS and n != 1:
            return [(s, e - 1, _DAYS[n]), (e - 1, e, "かん")]
        return [(e - 2, e, "にちかん")]
    if c == "分間":
        return [(e - 2, e, ("ぷん" if n % 10 in (0, 1, 3, 4, 6, 8) else "ふん") + "かん")]
    if c == "日":
        before = match_str[:s].rstrip(" 　")
        if n == 1 and not before.endswith("月"):
            return [(e - 1, e, "にち")]  # 1日 = いちにち (one day)
        if n in _DAYS:
            return [(s, e, _DAYS[n])]
        return [(e - 1, e, "にち")]
    if c == "分":
        return [(e - 1, e, "ぷん" if n % 10 in (0, 1, 3, 4, 6, 8) else "ふん")]
    if c == "人":
        if n in (1, 2):
            return [(s, e, "ひとり" if n == 1 else "ふたり")]
        return [(e - 1, e, "にん")]
    if c == "月":
        return [(e - 1, e, "がつ")] if 1 <= n <= 12 else []
    if c == "時":
        return [(e - 1, e, "じ")]
    return []


# -----------------------------------------------------------------------------------------------------------
# render
# -----------------------------------------------------------------------------------------------------------
def _prepare_readings(readings: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    by_first: dict[str, list[tuple[str, str]]] = {}
    for k, v in (readings or {}).items():
        if not k or not v:
            continue
        key = strip_wakachi(strip_furigana(str(k))).translate(_FW_DIGITS)
        val = kata_to_hira(str(v).strip())
        if not has_kanji(key):
            continue
        by_first.setdefault(key[0], []).append((key, val))
    for lst in by_first.values():
        lst.sort(key=lambda kv: len(kv[0]), reverse=True)
    return by_first


def render_furigana(text: str, readings: Mapping[str, str] = {}) -> str:  # noqa: B006 - read-only default
    """Add a reading after each kanji run: 市役所(しやくしょ)に行(い)きます."""
    if not text:
        return text
    stripped, existing = strip_furigana_map(text)
    n = len(stripped)
    consumed = [False] * n
    # a kanji run (plus okurigana) already followed by a reading is left alone
    for off in existing:
        j = off
        while j > 0 and off - j < 4 and is_hiragana(stripped[j - 1]):
            j -= 1
        while j > 0 and (is_kanji(stripped[j - 1]) or is_digit(stripped[j - 1]) or stripped[j - 1] in "ヶヵ"):
            j -= 1
            consumed[j] = True
        for q in range(j, off):
            consumed[q] = True
    notes: dict[int, str] = {}
    match_str = stripped.translate(_FW_DIGITS)

    # 1. curated readings, longest match first
    table = _prepare_readings({**_BUILTIN_READINGS, **(readings or {})})
    if table:
        i = 0
        while i < n:
            hit = None
            if not consumed[i]:
                for key, val in table.get(match_str[i], ()):
                    e = i + len(key)
                    if not match_str.startswith(key, i) or any(consumed[i:e]):
                        continue
                    if _is_numeral(key[0]) and i > 0 and _is_numeral(match_str[i - 1]):
                        continue
                    if _is_numeral(key[-1]) and e < n and _is_numeral(match_str[e]):
                        continue
                    hit = (key, val, e)
                    break
            if hit:
                key, val, e = hit
                for off, r in align(stripped[i:e], val):
                    notes[i + off] = r
                for q in range(i, e):
                    consumed[q] = True
                i = e
            else:
                i += 1

    # 2. built-in numeral + counter readings
    for m in _COUNTER_RE.finditer(match_str):
        if any(consumed[m.start():m.end()]):
            continue
        if m.start() > 0 and is_digit(match_str[m.start() - 1]):
            continue
        if m.end() < n and is_kanji(match_str[m.end()]) and m.group(2) in ("月", "時", "分", "人"):
            continue  # 3月末, 2時間, 10分間: leave compound counters to Sudachi
        for s, e, r in _builtin(match_str, 0, m):
            notes[e] = r
            for q in range(s, e):
                consumed[q] = True
        # digits before a kanji annotation are not kanji; mark them consumed anyway
        for q in range(m.start(), m.end()):
            consumed[q] = True

    # 3. SudachiPy for everything else: first with the whole line as context …
    for line_start, line in _lines(stripped):
        if not has_kanji(line):
            continue
        for t in tokenize(line):
            if not has_kanji(t.surface):
                continue
            r = kata_to_hira(t.reading)
            if not r or not all(_is_kana(c) for c in r):
                continue
            pieces = align(t.surface, r)
            for off, piece in pieces:
                a = line_start + t.begin
                # the kanji run ending at `off`
                st = off
                while st > 0 and not _is_kana(t.surface[st - 1]):
                    st -= 1
                if not any(consumed[a + st:a + off]):
                    notes[a + off] = piece
                    for q in range(a + st, a + off):
                        consumed[q] = True
    # … then piecewise for what is left (a word cut by a curated reading)
    i = 0
    while i < n:
        if consumed[i]:
            i += 1
            continue
        j = i
        while j < n and not consumed[j]:
            j += 1
        seg = stripped[i:j]
        if has_kanji(seg):
            for t in tokenize(seg):
                if not has_kanji(t.surface):
                    continue
                r = kata_to_hira(t.reading)
                if not r or has_kanji(r) or not all(_is_kana(c) for c in r):
                    continue
                for off, piece in align(t.surface, r):
                    notes[i + t.begin + off] = piece
        i = j

    out = []
    for k, ch in enumerate(stripped):
        out.append(ch)
        end = k + 1
        if end in existing:
            out.append(existing[end])
        elif end in notes:
            out.append(f"({notes[end]})")
    return _merge_adjacent("".join(out))


_ADJACENT = re.compile(r"(?<![0-9０-９])([\u4e00-\u9fff々〆]+)\(([ぁ-ゖー]+)\)([\u4e00-\u9fff々〆]+)\(([ぁ-ゖー]+)\)")


def _merge_adjacent(text: str) -> str:
    """市(し)長(ちょう) → 市長(しちょう): one reading per kanji run reads as a word, as readers expect."""
    prev = None
    while prev != text:
        prev, text = text, _ADJACENT.sub(r"\1\3(\2\4)", text)
    return text


# -----------------------------------------------------------------------------------------------------------
# wakachi
# -----------------------------------------------------------------------------------------------------------
_CONTENT = {"名詞", "代名詞", "動詞", "形容詞", "形状詞", "副詞", "連体詞", "接続詞", "感動詞", "接頭辞"}


def _starts_phrase(t, prev) -> bool:
    if t.pos0 not in _CONTENT:
        return False
    if prev.pos0 in ("補助記号", "空白", "記号", "接頭辞"):
        return False
    if t.pos0 == "名詞" and prev.pos0 in ("名詞",) and t.pos[1] != "数詞" and prev.pos[1] != "数詞":
        return False  # compound noun
    if t.pos0 == "名詞" and prev.pos0 == "名詞" and prev.pos[1] == "数詞" and t.pos[1] != "数詞":
        return False  # 3日, 10時
    if t.pos0 == "名詞" and t.pos[1] == "数詞" and prev.pos[1] == "数詞":
        return False
    if t.pos0 == "動詞" and t.dform in ("する", "為る") and prev.pos0 == "名詞":
        return False  # 確認する
    return True


def wakachi(text: str) -> str:
    """Put a space between phrases (文節): 「市役所に 行って ください。」.  Furigana in the text is kept."""
    if not text:
        return text
    stripped, existing = strip_furigana_map(strip_wakachi(text, both=True))
    spaces: set[int] = set()
    for line_start, line in _lines(stripped):
        toks = tokenize(line)
        for a, b in zip(toks, toks[1:]):
            if _starts_phrase(b, a):
                spaces.add(line_start + b.begin)
    out = []
    for k, ch in enumerate(stripped):
        if k in spaces:
            out.append(" ")
        out.append(ch)
        if (k + 1) in existing:
            out.append(existing[k + 1])
    return "".join(out)


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1
