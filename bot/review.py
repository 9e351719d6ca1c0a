"""Group residents' questions that the bot did not answer well, so staff decide once per group, not per message.

Deterministic greedy grouping: distinct (folded) texts are taken most frequent first, and each joins the first
existing group whose leader it resembles (rapidfuzz token_set_ratio on content tokens), else starts a group.
Japanese has no spaces, so Japanese text is compared as its Sudachi content tokens (bot.textproc.ja_tokens);
other languages as their folded words.  A few thousand questions group in well under a second.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.textproc import fold, has_japanese, ja_tokens

THRESHOLD = 75          # token_set_ratio (0–100) to join a group
REASONS = {"fallback": "回答できず", "choices": "候補を提示", "low_score": "自信が低い回答", "not_helpful": "役に立たなかった"}


@dataclass
class Group:
    key: str                                    # stable id: hash of the sorted message ids
    label: str                                  # the most frequent wording
    message_ids: list[int]
    texts: list[str]                            # distinct wordings, most frequent first
    count: int
    latest: str
    reasons: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    entry_ids: dict[str, int] = field(default_factory=dict)     # entries the bot tried (low score / choices)


def reason_of(m: dict, low_score: float = 0.5) -> str:
    if m.get("feedback") == "not_helpful":
        return "not_helpful"
    if m.get("kind") in ("fallback", "choices"):
        return m["kind"]
    return "low_score"


def compare_key(text: str) -> str:
    """The string compared: sorted content tokens, so word order and particles do not matter."""
    folded = fold(text)
    if has_japanese(folded):
        toks = ja_tokens(folded)
        if toks:
            return " ".join(sorted(set(toks)))
    return " ".join(sorted(set(re.findall(r"\w+", folded))))


def _join_score(a: str, b: str, score: float) -> float:
    # token_set_ratio calls a one-word question a perfect match for every longer question holding that word;
    # then the whole wording decides (token_sort_ratio), unless both questions are a single word.
    if score >= 100 and (" " not in a) != (" " not in b):
        return fuzz.token_sort_ratio(a, b)
    return score


def _best_leader(k: str, leaders: list[str], threshold: int) -> int | None:
    # C-speed pass over every leader first; the Python correction only looks at the few best
    for _, score, idx in process.extract(k, leaders, scorer=fuzz.token_set_ratio, score_cutoff=threshold, limit=8):
        if _join_score(k, leaders[idx], score) >= threshold:
            return idx
    return None


def group_questions(messages: list[dict], threshold: int = THRESHOLD) -> list[Group]:
    """Groups, largest first (then newest, then wording); each message lands in exactly one group."""
    by_text: dict[str, list[dict]] = {}
    for m in messages:
        t = (m.get("text") or "").strip()
        if t:
            by_text.setdefault(fold(t), []).append(m)
    # most frequent wording first, ties by the text itself: the same input always gives the same groups
    order = sorted(by_text, key=lambda t: (-len(by_text[t]), t))
    leaders: list[str] = []                     # compare keys of group leaders
    members: list[list[str]] = []               # folded texts per group
    key_cache: dict[str, str] = {}
    for t in order:
        k = key_cache.setdefault(t, compare_key(t))
        idx = _best_leader(k, leaders, threshold) if leaders else None
        if idx is None:
            leaders.append(k)
            members.append([t])
        else:
            members[idx].append(t)
    groups = []
    for texts in members:
        msgs = [m for t in texts for m in by_text[t]]
        ids = sorted(int(m["id"]) for m in msgs)
        wordings = Counter()
        for m in msgs:
            wordings[m["text"].strip()] += 1
        ranked = sorted(wordings, key=lambda w: (-wordings[w], w))
        groups.append(Group(
            key=hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:12],
            label=ranked[0], message_ids=ids, texts=ranked, count=len(msgs),
            latest=max(m.get("created_at") or "" for m in msgs),
            reasons=dict(Counter(reason_of(m) for m in msgs).most_common()),
            languages=dict(Counter(m.get("language") or "?" for m in msgs).most_common()),
            entry_ids=dict(Counter(m["entry_id"] for m in msgs if m.get("entry_id")).most_common())))
    groups.sort(key=lambda g: (-g.count, _desc(g.latest), g.label))
    return groups


def _desc(s: str) -> tuple:
    return tuple(-ord(c) for c in s)


def review_groups(store, tenant: str, limit: int = 3000, low_score: float = 0.5) -> list[Group]:
    """The open review queue of a tenant (newest `limit` questions), grouped."""
    return group_questions(store.review_queue(tenant, limit=limit, low_score=low_score))
