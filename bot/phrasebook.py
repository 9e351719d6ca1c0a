"""Curated keyword translations (a resident's phrase -> Japanese search words), matched in one pass per query.

Latin-script phrases match whole words (looked up by word n-grams); CJK, Hangul and Devanagari phrases match as
substrings, since those scripts attach endings without spaces.
"""
from __future__ import annotations

import re

from bot import textproc as tp

WORD = re.compile(r"[\w'’\-]+")


def _latin(phrase: str) -> bool:
    return all(ord(c) < 0x0900 for c in phrase)


class Phrasebook:
    def __init__(self, translations: dict[str, list[str]]):
        self.words: dict[str, list[str]] = {}        # "sister city" -> Japanese tokens
        self.substrings: list[tuple[str, list[str]]] = []
        # per phrase, each translation's words in long units: an entry holds the phrase's meaning when it holds one
        # translation whole (地区センター), not when it holds a piece of one (地区)
        self.translations: dict[str, list[tuple[str, ...]]] = {}
        self.max_words = 1
        for phrase, ja in translations.items():
            toks = list(dict.fromkeys(t for w in ja for t in tp.ja_tokens(w)))
            if not toks:
                continue
            key = tp.fold(phrase)
            if _latin(key):
                key = " ".join(WORD.findall(key))
                if not key:
                    continue
                self.words.setdefault(key, [])
                self.words[key] += [t for t in toks if t not in self.words[key]]
                self.max_words = max(self.max_words, key.count(" ") + 1)
            else:
                self.substrings.append((key, toks))
            wholes = self.translations.setdefault(key, [])
            wholes += [u for w in ja if (u := tuple(tp.long_units(w))) and u not in wholes]
        self.grams = {p[i:i + 2] for p, _ in self.substrings for i in range(len(p) - 1)}   # two-character pieces

    def knows_words(self, words: str) -> bool:
        """Whether a space-separated word sequence is a curated phrase (bệnh viện)."""
        return words in self.words

    def knows(self, gram: str) -> bool:
        """Whether a two-character gram is part of a curated phrase (日语 of 日语教室)."""
        return gram in self.grams

    def match(self, text: str) -> list[tuple[str, list[str]]]:
        """(phrase, Japanese tokens) for every phrase found in the text."""
        folded = tp.fold(text)
        out = []
        words = WORD.findall(folded)
        for i in range(len(words)):
            for n in range(1, min(self.max_words, len(words) - i) + 1):
                key = " ".join(words[i:i + n])
                toks = self.words.get(key)
                if toks:
                    out.append((key, toks))
        for phrase, toks in self.substrings:
            if phrase in folded:
                out.append((phrase, toks))
        return out


_CACHE: dict[int, Phrasebook] = {}


def phrasebook(translations: dict[str, list[str]]) -> Phrasebook:
    """One phrasebook per translations table (the same table serves every tenant)."""
    pb = _CACHE.get(id(translations))
    if pb is None:
        pb = _CACHE[id(translations)] = Phrasebook(translations)
    return pb
