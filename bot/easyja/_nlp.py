"""Shared text utilities: the SudachiPy tokenizer singleton, character classes, furigana stripping.

The Sudachi dictionary is loaded once per process (lazily, on first use).  Sudachi tokenizers must not be
used from two threads at once, so each thread gets its own tokenizer over the one shared dictionary, and
morphemes are copied into plain tuples (`Tok`) right away.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# ---------------------------------------------------------------------------------------------------------
# Character classes
# ---------------------------------------------------------------------------------------------------------
KANJI_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆〇"
HIRA_CLASS = "\u3041-\u3096\u309d\u309e"
KATA_CLASS = "\u30a1-\u30fa\u30fd\u30fe"  # ァ..ヺ, ヽヾ
_KANJI_RE = re.compile(f"[{KANJI_CLASS}]")
_JA_CHAR_RE = re.compile(f"[{KANJI_CLASS}{HIRA_CLASS}{KATA_CLASS}ー・ヶヵ、。「」『』（）！？〜～：]")


def is_kanji(ch: str) -> bool:
    return bool(_KANJI_RE.fullmatch(ch))


def is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u3096" or ch in "ゝゞ"


def is_katakana(ch: str) -> bool:
    return ("\u30a1" <= ch <= "\u30fa") or ch in "ヽヾ"


def is_digit(ch: str) -> bool:
    return ch.isdigit()  # ASCII and full-width


def kata_to_hira(s: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in s)


def hira_to_kata(s: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in s)


def has_kanji(s: str) -> bool:
    return bool(_KANJI_RE.search(s))


# ---------------------------------------------------------------------------------------------------------
# Furigana and 分かち書き spaces
# ---------------------------------------------------------------------------------------------------------
# A reading: hiragana (and ー) in half- or full-width parentheses.
_READING_RE = re.compile(r"[(（]([\u3041-\u3096ー゛゜]+)[)）]")
_MAX_OKURI = 4  # a reading may follow okurigana: 行って(おこなって)


def _furigana_matches(text: str):
    """Yield (start, end, base_end_kanji_run_start, base_end) for each parenthesised reading that is furigana.

    A parenthesised run of hiragana counts as furigana when it directly follows a kanji or a digit
    (漢字(かんじ), 14日(じゅうよっか)) or follows at most four hiragana that follow a kanji (行って(おこなって)).
    """
    for m in _READING_RE.finditer(text):
        i = m.start()
        j = i
        while j > 0 and i - j < _MAX_OKURI and is_hiragana(text[j - 1]):
            j -= 1
        if j > 0 and (is_kanji(text[j - 1]) or is_digit(text[j - 1]) or text[j - 1] in "ヶヵ"):
            yield m
        # otherwise: an ordinary parenthesis, left alone


def strip_furigana_map(text: str) -> tuple[str, dict[int, str]]:
    """Remove furigana; return the stripped text and {offset in stripped text: original reading text}.

    The offset is the position in the stripped text right after which the reading stood.
    """
    out: list[str] = []
    readings: dict[int, str] = {}
    pos = 0
    n = 0
    for m in _furigana_matches(text):
        chunk = text[pos:m.start()]
        out.append(chunk)
        n += len(chunk)
        readings[n] = m.group(0)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), readings


def strip_furigana(text: str) -> str:
    """漢字(かんじ) → 漢字 (also full-width parentheses)."""
    return strip_furigana_map(text)[0]


_SPACE_RE = re.compile(r"[ \u3000]+")


def strip_wakachi(text: str, both: bool = False) -> str:
    """Remove 分かち書き spaces: any run of spaces next to a Japanese character (both=True: only between two)."""

    def repl(m: re.Match) -> str:
        s, e = m.start(), m.end()
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        b = bool(before and _JA_CHAR_RE.match(before))
        a = bool(after and _JA_CHAR_RE.match(after))
        if (b and a) or (not both and (b or a)):
            return ""
        return m.group(0)

    return _SPACE_RE.sub(repl, text)


# ---------------------------------------------------------------------------------------------------------
# Sudachi
# ---------------------------------------------------------------------------------------------------------
class Tok(NamedTuple):
    surface: str
    pos: tuple  # 6-tuple of Sudachi POS
    dform: str  # dictionary form
    norm: str  # normalized form
    reading: str  # katakana reading of the surface
    begin: int
    end: int

    @property
    def pos0(self) -> str:
        return self.pos[0]


_local = threading.local()


def _get_dictionary():
    from bot.textproc import sudachi_dictionary   # one dictionary per process, shared with the search

    return sudachi_dictionary()


def _tokenizer():
    tok = getattr(_local, "tok", None)
    if tok is None:
        d = _get_dictionary()
        tok = d.tokenizer() if hasattr(d, "tokenizer") else d.create()
        _local.tok = tok
    return tok


def _mode(name: str):
    from sudachipy import SplitMode

    return getattr(SplitMode, name)


@lru_cache(maxsize=4096)
def tokenize(text: str, mode: str = "C") -> tuple[Tok, ...]:
    """Tokenize with SudachiPy (mode C by default); cached."""
    if not text:
        return ()
    ms = _tokenizer().tokenize(text, _mode(mode))
    return tuple(
        Tok(m.surface(), tuple(m.part_of_speech()), m.dictionary_form(), m.normalized_form(), m.reading_form(),
            m.begin(), m.end())
        for m in ms
    )


@lru_cache(maxsize=8192)
def split_a(surface: str) -> tuple[Tok, ...]:
    """The short-unit (mode A) tokens of a word."""
    return tokenize(surface, "A")


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)
