"""answer(tenant, text, language) -> the answer object of the contract. The one function the rest calls.

The bot answers only from the tenant's curated knowledge; when unsure it offers choices, and when it does not know it
says so, names the closest section and the city's general contact, and marks the question for staff review.
"""
from __future__ import annotations

import re
import unicodedata

from bot import config, textproc as tp
from bot.kb.entries import Entry
from bot.privacy import mask
from bot.kb.registry import KnowledgeBase, TenantKB, get_kb
from bot.languages import FOREIGN, LANGUAGES, normalise_lang
from bot.easyja import render_furigana
from bot.intent import DEFINE, do_for_me, personal_case
from bot.langdetect import detect_language
from bot.search import Hit

MAX_QUERY = 5000           # LINE's own limit for a text message
# Confidence thresholds (calibrated on the team's evaluation set in tests/data; see bench/bench_answers.py).
T_ANSWER = 0.58            # at or above: answer, unless a close second makes it ambiguous
T_CHOICES = 0.40           # between this and T_ANSWER: offer choices
MARGIN = 0.06              # rank-score gap below which two strong candidates are ambiguous
T_FULL = 0.9               # a candidate this confident answers the question on its own
DOMINANT = 0.8             # a runner-up below this share of the best rank score is no real alternative
T_ONE_TOPIC = (T_ANSWER + T_CHOICES) / 2   # a lone candidate (or topic) at least this confident answers


class UnknownTenant(KeyError):
    pass


SMALLTALK = {
    "thanks": ["ありがとう", "ありがとうございます", "ありがとうございました", "どうも", "助かりました", "たすかりました",
               "助かります", "わかりました", "よくわかりました", "分かりました", "了解", "了解です", "了解しました",
               "ok", "okay", "got it", "明白了", "알겠습니다",
               "thanks", "thank you", "thx", "谢谢", "謝謝", "감사합니다", "고맙습니다", "cảm ơn", "cam on", "obrigado",
               "obrigada", "salamat", "terima kasih", "धन्यवाद"],
    "greeting": ["こんにちは", "こんばんは", "おはよう", "おはようございます", "はじめまして", "よろしく", "よろしくお願いします",
                 "hello", "hi", "hey", "good morning", "good evening", "你好", "您好", "안녕하세요", "xin chào", "xin chao",
                 "olá", "ola", "oi", "kumusta", "halo", "selamat pagi", "नमस्ते", "もしもし", "げんきですか",
                 "元気ですか", "お元気ですか", "how are you", "よろしくおねがいします"],
    "help": ["ヘルプ", "help", "使い方", "つかいかた", "何ができるの", "なにができるの", "what can you do", "帮助", "도움말",
             "ajuda", "tulong", "bantuan", "मद्दत"],
}
_PUNCT = re.compile(r"[\s!！?？。、,.~〜ー…☆★♪\U0001F300-\U0001FAFF\u2600-\u27BF]+")


def search_text(query: str) -> str:
    """The question without personal data: phone numbers, addresses and the like say nothing about the topic."""
    masked = mask(query)
    found = set(re.findall(r"\[[^\]]{1,12}\]", masked))
    if not found or found <= {"[番地]"}:      # 6-2-3 looks like a street number but is a plan number
        return query
    return re.sub(r"\[[^\]]{1,12}\]", " ", masked).strip() or query


_SMALLTALK_KEYS = sorted(((_PUNCT.sub("", p.lower()), kind) for kind, ps in SMALLTALK.items() for p in ps),
                         key=lambda x: -len(x[0]))


def smalltalk_kind(text: str) -> str | None:
    """A message made only of small-talk phrases (「こんにちは！げんきですか」): the kind of its first phrase."""
    t = _PUNCT.sub("", tp.fold(text))
    first = None
    while t:
        hit = next(((k, kind) for k, kind in _SMALLTALK_KEYS if k and t.startswith(k)), None)
        if hit is None:
            return None
        first = first or hit[1]
        t = t[len(hit[0]):]
    return first


def _noise(text: str) -> bool:
    """Repeated characters, keyboard mash: nothing to search for."""
    t = _PUNCT.sub("", tp.fold(text))
    # one character repeated (ああああ), or two taking turns (wwww, あいあいあい); a two-kanji word (移住) is a question
    return not t or (len(set(t)) == 1 and len(t) >= 2) or (len(set(t)) == 2 and len(t) >= 4)


def other_city(kb: TenantKB, all_kb: KnowledgeBase, text: str) -> str | None:
    """A municipality the query names that is not this city and that this city's knowledge never mentions."""
    own_ja = kb.tenant.city.name.get("ja", "")
    named = set(tp.place_names(text))
    folded = tp.fold(text)
    for other in all_kb.tenants.values():
        if other.id == kb.id or other.tenant.imported:
            continue
        ja = other.tenant.city.name.get("ja", "")
        en = other.tenant.city.name.get("en", "").lower().replace(" city", "").strip()
        if ja and ja in text:
            named.add(ja)
        if en and re.search(r"\b" + re.escape(en) + r"\b", folded):
            named.add(ja or en)
    for name in named:
        if name == own_ja or name.rstrip("市町村") == own_ja.rstrip("市町村"):
            continue
        stem = name.rstrip("市町村")
        if not any(stem in t for t in _kb_texts(kb)):
            return name
    # another city's own program or facility by name (わくわく事業 asked of a city that has none)
    for other in all_kb.tenants.values():
        if other.id == kb.id or other.tenant.imported:
            continue
        for name in _proper_names(other):
            if name in text and not any(name in t for t in _kb_texts(kb)) and _distinctive(all_kb, name):
                return name
    return None


def _distinctive(all_kb: KnowledgeBase, name: str) -> bool:
    """A name only one city uses (わくわく事業), not a common noun several cities share (日本語教室)."""
    cache = all_kb.__dict__.setdefault("_distinctive", {})
    key = (all_kb.version, name)
    if key not in cache:
        users = sum(1 for t in all_kb.tenants.values() if not t.tenant.imported
                    and any(name in x for x in _kb_texts(t)))
        cache[key] = users <= 1
    return cache[key]


def _proper_names(kb: TenantKB) -> list[str]:
    """Names of a city's programs and facilities, long enough to be distinctive."""
    names = kb.__dict__.get("_proper_names")
    if names is None:
        raw = [p.name.get("ja", "") for p in kb.tenant.programs]
        raw += [s.name.get("ja", "") for s in kb.tenant.sections if s.kind != "section"]
        names = kb.__dict__["_proper_names"] = sorted({n for n in raw if len(n) >= 4})
    return names


def _kb_texts(kb: TenantKB) -> list[str]:
    cache = kb.__dict__.setdefault("_all_texts", None)
    if cache is None:
        texts = []
        for e in kb.entries:
            texts += list(e.body.values()) + list(e.title.values()) + e.keywords
        kb.__dict__["_all_texts"] = texts
        cache = texts
    return cache


def _section_name(kb: TenantKB, sid: str, lang: str) -> tuple[str, dict] | None:
    """A section's name as the resident reads it (always with the Japanese name for the counter), and its contact."""
    s = kb.tenant.section(sid)
    if s is None:
        return None
    ja = s.name.get("ja", sid)
    if lang == "ja":
        name = ja
    elif lang == "ja-easy":
        name = f"{ja}({s.reading})" if s.reading else ja
    else:
        local = s.name.get(lang) or s.name.get("en")
        name = f"{local} ({ja})" if local and ja not in local else (local or ja)
    extra = [x for x in (s.phone, s.hours, s.place) if x]
    contact = {"id": s.id, "name": ja, "name_local": s.name.get(lang) or "", "phone": s.phone, "email": s.email,
               "hours": s.hours, "place": s.place, "url": s.url}
    return name + (f"（{' / '.join(extra)}）" if extra else ""), contact


def _sections_line(kb: TenantKB, sids: list[str], lang: str, all_kb: KnowledgeBase) -> tuple[str, list[dict]] | None:
    """One line naming every section in charge (a measure may have eight), and their contacts."""
    named = [r for r in (_section_name(kb, sid, lang) for sid in sids) if r]
    if not named:
        return None
    sep = "、" if lang in ("ja", "ja-easy", "zh") else ", "
    return all_kb.message("section", lang, section=sep.join(n for n, _ in named)), [c for _, c in named]


def _city_contact(kb: TenantKB, lang: str) -> tuple[str, dict]:
    c = kb.tenant.city.contact
    ja = c.name.get("ja") or (kb.tenant.city.name.get("ja", "") + "役所")
    local = c.name.get(lang) if lang not in ("ja", "ja-easy") else None
    name = f"{local} ({ja})" if local and ja not in local else (local or ja)
    extra = [x for x in (c.phone, c.hours, c.place, c.url) if x]
    text = name + (f"（{' / '.join(extra)}）" if extra else "")
    return text, {"id": "city", "name": ja, "name_local": local or "", "phone": c.phone, "email": c.email,
                  "hours": c.hours, "place": c.place, "url": c.url}


def easy(text: str, kb: TenantKB) -> str:
    """やさしい日本語 as sent: with furigana from the curated readings, then the analyser's; with spaces between
    phrases (分かち書き) when MADOGUCHI_WAKACHI=1."""
    if not text:
        return text
    try:
        if config.flag("MADOGUCHI_WAKACHI"):
            from bot.easyja import wakachi
            text = "\n".join(wakachi(line) for line in text.split("\n"))
        return render_furigana(text, kb.tenant.readings)
    except Exception:
        return text


def reply_language(entry: Entry, want: str) -> tuple[list[str], str]:
    """Which of the entry's texts to send for a resident wanting `want`; and the language to report.

    The resident's language where the entry has it; else やさしい日本語 with English (Japanese for imported FAQs)."""
    have = entry.languages()
    if want in have:
        return [want], want
    if want == "ja-easy" and "ja" in have:
        return ["ja"], "ja"
    parts = [l for l in ("ja-easy", "en") if l in have and l != want]
    if want == "en" and "ja-easy" in have:
        parts = ["ja-easy"]
    if not parts:
        parts = ["ja"]
    return parts, parts[0]


def title_of(entry: Entry, lang: str) -> str:
    t = entry.title
    return t.get(lang) or (t.get("ja") if lang == "ja-easy" else None) or t.get("en") or t.get("ja") or \
        next(iter(t.values()), entry.id)


def answer(tenant: str, text: str, lang: str | None = None, top: int = 3, kb: KnowledgeBase | None = None) -> dict:
    all_kb = kb or get_kb()
    tkb = all_kb.get(tenant)
    if tkb is None:
        raise UnknownTenant(tenant)
    query = unicodedata.normalize("NFC", text or "")[:MAX_QUERY].strip()
    qlang = detect_language(query) if query else "ja"
    chosen = normalise_lang(lang)
    want = chosen or (qlang if qlang in LANGUAGES else "en")
    city_name = tkb.tenant.city.name
    city = city_name.get(want) or city_name.get("en" if want in FOREIGN else "ja") or tkb.id
    if want == "ja-easy":
        city = city_name.get("ja", city)
    top = max(1, min(int(top or 3), 50))
    base = {"tenant": tenant, "query": query, "answered": False, "entry_id": None, "score": 0.0,
            "language": want, "contacts": [], "sources": [], "candidates": [], "query_language": qlang,
            "needs_review": False, "title": "", "target_line": "", "related": []}

    def fin(kind: str, text_out: str, **extra):
        out = {**base, "kind": kind, "text": text_out, **extra}
        if want == "ja-easy" and kind != "answer":
            out["text"] = easy(out["text"], tkb)
        return out

    st = smalltalk_kind(query) if query else "help"
    if st:
        key = {"thanks": "thanks", "greeting": "greeting", "help": "help"}[st]
        return fin("smalltalk", all_kb.message(key, want, city=city))

    hits = [] if _noise(query) else tkb.index.search(search_text(query), qlang, top=max(top, 5))
    cands = [{"entry_id": h.entry.id, "title": title_of(h.entry, want), "score": round(h.confidence, 3)}
             for h in hits[:top]]
    base["candidates"] = cands

    elsewhere = other_city(tkb, all_kb, query) if query else None
    if elsewhere:
        contact, cinfo = _city_contact(tkb, want)
        return fin("fallback", all_kb.message("other_city", want, city=city),
                   contacts=[cinfo], needs_review=True)

    if personal_case(query):
        # one resident's own case: say the bot cannot see it, and where to ask
        return render_fallback(tkb, all_kb, hits, want, base, fin, message="personal")
    if do_for_me(query):
        # a booking or a document to send: say the bot cannot do it, and where to ask
        return render_fallback(tkb, all_kb, hits, want, base, fin, message="do_for_me")
    best = hits[0] if hits else None
    second = hits[1] if len(hits) > 1 else None
    if best is not None and best.confidence < T_ANSWER:
        # The ranking orders candidates; the confidence says which is right. A near-top candidate that is
        # clearly the most confident one answers (「よねざわ に すみたい です」 finds 移住相談 through its readings).
        top3 = sorted(hits[:3], key=lambda h: h.confidence, reverse=True)
        if top3[0].confidence >= T_ANSWER and top3[0].confidence - top3[1].confidence >= 0.15:
            best, second = top3[0], top3[1]
    if best and (best.confidence >= T_ANSWER or (best.qsim >= 0.9 and best.confidence >= T_CHOICES)):
        # choices only when two candidates of the same kind, about different measures, are truly tied; otherwise
        # the best one answers (and the other shows among the related questions)
        tied = (second is not None and second.entry.kind == best.entry.kind and best.qsim < 0.9
                and not best.entry.same_topic(second.entry)
                # a specific question (three words or more) that two entries both answer fully needs no choice:
                # the best answers, the other is offered beside it
                and not (best.concepts >= 3 and second.confidence >= T_FULL)
                and second.confidence >= best.confidence - MARGIN and second.score >= (1 - MARGIN / 2) * best.score
                and second.qsim >= best.qsim - 0.1)
        if not tied:
            return render_answer(tkb, all_kb, best, hits, want, base)
    strong = [h for h in hits if h.confidence >= T_CHOICES][:4]
    if len(strong) >= 2 and strong[0] is hits[0] and strong[0].confidence >= T_ONE_TOPIC \
            and strong[1].score < DOMINANT * strong[0].score and strong[1].confidence <= strong[0].confidence - MARGIN:
        # one candidate far ahead of the rest in rank and in confidence: no real choice to offer
        return render_answer(tkb, all_kb, strong[0], hits, want, base)
    one = _one_topic(strong, hits[0], query) if len(strong) >= 2 else None
    if one is not None:
        return render_answer(tkb, all_kb, one, hits, want, base)
    if len(strong) >= 2:
        lines = [all_kb.message("choices", want)] + [f"{i + 1}. {title_of(h.entry, want)}" for i, h in enumerate(strong)]
        return fin("choices", "\n".join(lines), score=round(strong[0].confidence, 3),
                   choices=[{"entry_id": h.entry.id, "title": title_of(h.entry, want)} for h in strong],
                   needs_review=True)
    if len(strong) == 1 and strong[0].confidence >= T_ONE_TOPIC:
        return render_answer(tkb, all_kb, strong[0], hits, want, base)
    return render_fallback(tkb, all_kb, hits, want, base, fin)


def _one_topic(strong: list[Hit], first: Hit, query: str) -> Hit | None:
    """The candidate to answer with when the strong candidates are really one topic (a measure, its sub-measures,
    its programs, targets, FAQ and terms, linked however far) or that topic is far ahead of any other; None when
    the resident has a real choice to make."""
    seeds = [h for h in strong if h is first or h.entry.same_topic(first.entry)]
    if not seeds:
        return None
    topic = list(seeds)
    for h in topic:                                  # linked however far: 方策 - its 取組 - their FAQ
        topic += [x for x in strong if x not in topic and x.entry.same_topic(h.entry)]
    best_score = max(h.score for h in topic)
    if max(h.confidence for h in topic) < T_ONE_TOPIC or \
            any(h.score >= DOMINANT * best_score for h in strong if h not in topic):
        return None
    ranked = sorted(topic, key=lambda h: h.score, reverse=True)
    if ranked[0].entry.kind == "term" and not DEFINE.search(tp.fold(query)):
        # a term's definition answers 「〇〇とは」; 「〇〇のために何をする」 wants what the city does about it
        ranked = [h for h in ranked if h.entry.kind != "term"] or ranked
    return ranked[0]


def render_answer(tkb: TenantKB, all_kb: KnowledgeBase, hit: Hit, hits: list[Hit], want: str, base: dict) -> dict:
    e = hit.entry
    parts, lang = reply_language(e, want)
    lines: list[str] = []
    if want not in parts and want not in ("ja", "ja-easy"):
        note = all_kb.message("not_translated", want)
        if note and not (want == "en" and "en" in parts):
            lines.append(note)
    for p in parts:
        body = e.body.get(p, "")
        lines.append(easy(body, tkb) if p == "ja-easy" else body)
    if lang in e.unreviewed:
        lines.append(all_kb.message("unreviewed", lang))       # say so: residents act on what they read
    ja_body = e.body.get("ja", "")
    if lang != "ja" and ja_body and ja_body not in lines:
        # The plan's own Japanese: the precise names and figures, to read later or show at the counter.
        lines.append(all_kb.message("counter_ja", want) + "\n" + ja_body)
    body_text = "\n".join(l for l in lines if l)
    contacts = []
    slang = lang if lang != "ja" or want in ("ja", "ja-easy") else "ja"
    r = _sections_line(tkb, e.sections, slang, all_kb)
    if r:
        lines.append(r[0])
        contacts += r[1]
        if len(parts) > 1:          # ja-easy + en: the English names too
            r2 = _sections_line(tkb, e.sections, "en", all_kb)
            if r2:
                lines.append(r2[0])
    if not contacts:
        ctext, cinfo = _city_contact(tkb, lang)
        lines.append(all_kb.message("contact_city", lang, contact=ctext))
        contacts.append(cinfo)
    for s in e.sources[:2]:
        src = " ".join(x for x in (s.get("document", ""), s.get("section", "")) if x)
        if src:
            lines.append(all_kb.message("source", lang, source=src))
    close = [h.entry.id for h in hits[1:3] if h.confidence >= T_FULL and h.entry.id != e.id]   # nearly as good
    related = (close + [r for r in e.related if r in tkb.by_id and r != e.id and r not in close])[:4]
    if len(related) < 4:
        related += [h.entry.id for h in hits[1:] if h.entry.id not in related and h.entry.id != e.id
                    and h.confidence >= T_CHOICES][: 4 - len(related)]
    return {**base, "answered": True, "kind": "answer", "entry_id": e.id, "score": round(hit.confidence, 3),
            "language": lang, "text": "\n".join(l for l in lines if l), "body": body_text,
            "contacts": contacts, "sources": e.sources,
            "title": title_of(e, lang), "target_line": e.target_line.get(lang) or e.target_line.get("en", "")
            if lang not in ("ja", "ja-easy") else e.target_line.get(lang, ""),
            "related": [{"entry_id": r, "title": title_of(tkb.by_id[r], lang)} for r in related],
            "needs_review": hit.confidence < T_ANSWER}


def render_fallback(tkb, all_kb, hits, want, base, fin, message: str = "fallback") -> dict:
    lines = [all_kb.message(message, want)]
    near = [h for h in hits if h.coverage > 0.25 or h.qsim > 0.5][:3]
    if near:
        lines.append(all_kb.message("closest", want))
        lines += [f"・{title_of(h.entry, want)}" for h in near]
    contacts = []
    if near and near[0].entry.sections:
        r = _sections_line(tkb, near[0].entry.sections[:1], want, all_kb)
        if r:
            lines.append(r[0])
            contacts += r[1]
    ctext, cinfo = _city_contact(tkb, want)
    lines.append(all_kb.message("contact_city", want, contact=ctext))
    contacts.append(cinfo)
    return fin("fallback", "\n".join(lines), contacts=contacts, needs_review=True,
               score=round(hits[0].confidence, 3) if hits else 0.0)


def answer_entry(tenant: str, entry_id: str, lang: str | None = None, kb: KnowledgeBase | None = None,
                 query: str = "") -> dict | None:
    """The answer for one known entry (a choice the resident tapped, a rich-menu topic)."""
    all_kb = kb or get_kb()
    tkb = all_kb.get(tenant)
    if tkb is None:
        raise UnknownTenant(tenant)
    e = tkb.by_id.get(entry_id)
    if e is None:
        return None
    want = normalise_lang(lang) or "ja"
    base = {"tenant": tenant, "query": query or title_of(e, want), "answered": False, "entry_id": None, "score": 0.0,
            "language": want, "contacts": [], "sources": [], "candidates": [], "query_language": want,
            "needs_review": False, "title": "", "target_line": "", "related": []}
    return render_answer(tkb, all_kb, Hit(e, 1.0, 1.0, 1.0, 1.0), [], want, base)
