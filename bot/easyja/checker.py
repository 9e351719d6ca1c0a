"""やさしい日本語 (plain Japanese) checker.

    check(text, profile="everyday", furigana=False, allowlist=()) -> list[Issue]

Rules and thresholds (everyday / disaster):

=================  =======  ===============================================================================
rule               level    what
=================  =======  ===============================================================================
sentence_mora      error    more than 48 mora in a sentence (disaster: 24) — 弘前大学「やさしい日本語」
sentence_length    warn/err more than 30 characters a warning, more than 45 an error — 日本語文の規格化
one_idea           warn/err more than one independent predicate a warning, more than two an error
                            — 在留支援のためのやさしい日本語ガイドライン (2020)
kanji_count        error    more than 13 kanji in a sentence (disaster: 4)
kanji_run          warn/err a run of 4+ kanji a warning, 6+ an error (allowlisted names exempt)
kanji_grade        warn/err kanji outside 教育漢字 a warning, outside 常用漢字 an error (allowlisted names exempt)
furigana_missing   error    furigana mode only: a kanji run not followed by a reading
vocabulary         error    < 90 % of content words are JLPT N5+N4 words or allowlisted (whole text, >= 5 words)
katakana           warn/err katakana loanword not allowlisted (and not N5/N4) a warning; a run of 10+ an error
double_negative    error    〜ないわけではない, 〜なくはない, 〜ないことはない …
style_mix          error    です・ます sentences and plain-form sentences in one text
honorific          warning  敬語 (いらっしゃる, おっしゃる, 召し上がる, お/ご〜になる, 〜いただく …); disaster: error
passive_causative  warning  れる/られる/せる/させる auxiliaries
vague              warning  かもしれません, 〜と思われます, など多数, 〜等
nominalization     warning  two or more 〜こと in one sentence, 〜の実施, 〜化
wareki             error    令和/平成/昭和 year without a 西暦 year in the same sentence
range              error    〜 ～ ranges
slash_date         error    2024/4/1, 4/1
time_24h           warning  13:00, 18時 (hour >= 13)
=================  =======  ===============================================================================

Text may carry furigana (漢字(かんじ) / 漢字（かんじ）) and 分かち書き spaces: both are removed before counting.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Literal

from . import vocab
from ._nlp import (Tok, is_hiragana, is_kanji, is_katakana, nfkc, split_a, strip_furigana_map, strip_wakachi,
                   tokenize)

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    rule: str
    level: Level
    sentence: str
    message: str


PROFILES: dict[str, dict] = {
    "everyday": {"max_mora": 48, "max_kanji": 13, "honorific": "warning"},
    "disaster": {"max_mora": 24, "max_kanji": 4, "honorific": "error"},
}

CHARS_WARN = 30
CHARS_ERROR = 45
KANJI_RUN_WARN = 4
KANJI_RUN_ERROR = 6
KATAKANA_RUN_ERROR = 10
VOCAB_MIN_SHARE = 0.90
VOCAB_MIN_WORDS = 5

_TERMINATORS = "。！？!?\n"
_CLOSERS = "」』）)】"
_URL_RE = re.compile(r"https?://[^\s　、。「」（）()]+|www\.[^\s　、。「」（）()]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# -----------------------------------------------------------------------------------------------------------
# kanji sets (kanji-lists, MIT)
# -----------------------------------------------------------------------------------------------------------
_KYOIKU: frozenset[str] | None = None
_JOYO: frozenset[str] | None = None


def _kanji_sets() -> tuple[frozenset[str], frozenset[str]]:
    global _KYOIKU, _JOYO
    if _KYOIKU is None:
        from kanji_lists import JOYO, KYOIKU

        _JOYO = frozenset(JOYO)
        _KYOIKU = frozenset(KYOIKU)
    return _KYOIKU, _JOYO  # type: ignore[return-value]


# -----------------------------------------------------------------------------------------------------------
# sentences
# -----------------------------------------------------------------------------------------------------------
@dataclass
class _Sentence:
    text: str  # furigana and wakachi spaces removed
    start: int  # offset in the stripped text
    toks: tuple[Tok, ...]
    allowed: list[bool]  # chars inside an allowlisted name
    url: list[bool]  # chars inside a URL / e-mail address

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def clean(self) -> str:
        """Sentence text with URLs removed."""
        return "".join(c for c, u in zip(self.text, self.url) if not u)


def _url_mask(text: str) -> list[bool]:
    mask = [False] * len(text)
    for m in _URL_RE.finditer(text):
        for i in range(m.start(), m.end()):
            mask[i] = True
    return mask


def _split(text: str, url: list[bool]) -> list[tuple[int, int]]:
    spans = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in _TERMINATORS and not url[i]:
            j = i + 1
            while j < n and text[j] in _TERMINATORS and text[j] != "\n" and c != "\n":
                j += 1
            while j < n and text[j] in _CLOSERS:
                j += 1
            spans.append((start, j))
            start = i = j
            continue
        i += 1
    if start < n:
        spans.append((start, n))
    return spans


def _allow_mask(text: str, allow: list[str]) -> list[bool]:
    mask = [False] * len(text)
    for name in allow:  # longest first
        pos = text.find(name)
        while pos >= 0:
            for i in range(pos, pos + len(name)):
                mask[i] = True
            pos = text.find(name, pos + len(name))
    return mask


def _prepare_allowlist(allowlist: Iterable[str]) -> list[str]:
    out = set()
    for a in allowlist or ():
        if not a:
            continue
        a = strip_furigana_map(strip_wakachi(str(a)))[0].strip()
        if a:
            out.add(a)
    return sorted(out, key=len, reverse=True)


# -----------------------------------------------------------------------------------------------------------
# mora
# -----------------------------------------------------------------------------------------------------------
_SMALL = set("ァィゥェォャュョヮぁぃぅぇぉゃゅょゎ")
_DIGIT_MORA = {0: 2, 1: 2, 2: 1, 3: 2, 4: 2, 5: 1, 6: 2, 7: 2, 8: 2, 9: 2}


def _int_mora(s: str) -> int:
    """Mora of a number read in Japanese (sound changes such as さんびゃく keep the count)."""
    s = s.lstrip("0") or "0"
    if s == "0":
        return 2
    if len(s) > 16:
        return 2 * len(s)
    total = 0
    groups = []
    while s:
        groups.append(s[-4:])
        s = s[:-4]
    for gi, g in enumerate(groups):
        g = g.zfill(4)
        if g == "0000":
            continue
        for p, ch in enumerate(reversed(g)):  # p: 0 ones, 1 tens, 2 hundreds, 3 thousands
            d = int(ch)
            if d == 0:
                continue
            if not (d == 1 and p > 0):
                total += _DIGIT_MORA[d]
            if p > 0:
                total += 2  # じゅう ひゃく せん
        if gi > 0:
            total += 2  # まん おく ちょう
    return total


def _number_mora(surface: str) -> int:
    s = nfkc(surface).replace(",", "")
    if re.fullmatch(r"\d+(\.\d+)?", s):
        if "." in s:
            a, b = s.split(".")
            return _int_mora(a) + 2 + sum(_DIGIT_MORA[int(c)] for c in b)
        return _int_mora(s)
    return -1


def _kana_mora(reading: str) -> int:
    n = 0
    for c in reading:
        if c in _SMALL:
            continue
        if is_katakana(c) or is_hiragana(c) or c == "ー":
            n += 1
        elif c.isalnum():
            n += 1
    return n


def _sentence_mora(s: _Sentence) -> int:
    total = 0
    for t in s.toks:
        if t.pos0 in ("補助記号", "空白") or (t.begin < len(s.url) and s.url[t.begin]):
            continue
        if t.pos[1] == "数詞":
            m = _number_mora(t.surface)
            if m >= 0:
                total += m
                continue
        total += _kana_mora(t.reading)
    return total


# -----------------------------------------------------------------------------------------------------------
# predicates (one idea per sentence)
# -----------------------------------------------------------------------------------------------------------
_TE = ("て", "で")
_CLAUSE_AUX_AFTER = ("こと", "よう")  # ことができる, ようになる


def _is_pred(t: Tok) -> bool:
    return t.pos0 in ("動詞", "形容詞", "助動詞")


def _count_predicates(toks: tuple[Tok, ...]) -> int:
    """Count clause-heading predicates: verb/adjective chunks that are not auxiliaries (〜ている, 〜てください,
    ことができる) and not noun modifiers (行くバス)."""
    count = 0
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        if t.pos0 not in ("動詞", "形容詞"):
            i += 1
            continue
        prev = toks[i - 1] if i > 0 else None
        prev2 = toks[i - 2] if i > 1 else None
        head = t.dform not in ("しれる", "知れる")  # かもしれない is one (vague) ending
        if t.pos[1] == "非自立可能":
            if prev is not None and prev.pos0 == "助詞" and prev.surface in _TE:
                head = False
            elif prev is not None and prev.surface in ("は", "も") and prev2 is not None and prev2.surface.endswith(
                    ("で", "く", "て")):
                head = False  # ではない, てもいい
            elif t.pos0 == "形容詞" and prev is not None and prev.surface.endswith("く"):
                head = False  # よくない
            elif (prev is not None and prev.surface in ("が", "に", "も") and prev2 is not None
                  and prev2.surface in _CLAUSE_AUX_AFTER):
                head = False  # ことができる, ようになる
        if t.pos0 == "形容詞" and i + 1 < n and toks[i + 1].surface in ("は", "も") and t.surface.endswith("く"):
            head = False  # 詳しくは, 早くも: adverbial
        # extend the chunk: auxiliaries, て + auxiliary verbs, お〜ください
        j = i + 1
        while j < n:
            u = toks[j]
            if u.pos0 == "助動詞":
                j += 1
            elif u.dform in ("くださる", "下さる", "なさる") and toks[j - 1].pos0 == "動詞":
                j += 1
            elif u.pos0 in ("動詞", "形容詞") and u.pos[1] == "非自立可能" and toks[j - 1].surface in _TE:
                j += 1
            elif (u.pos0 == "助詞" and u.surface in _TE and j + 1 < n and toks[j + 1].pos0 in ("動詞", "形容詞")
                  and toks[j + 1].pos[1] == "非自立可能"):
                j += 1
            else:
                break
        nxt = toks[j] if j < n else None
        if nxt is not None and nxt.pos0 in ("名詞", "代名詞"):
            head = False  # modifies a noun (relative clause / こと nominalisation)
        if head:
            count += 1
        i = j
    return count


# -----------------------------------------------------------------------------------------------------------
# sentence style (です・ます vs plain)
# -----------------------------------------------------------------------------------------------------------
_POLITE_FORMS = {"です", "ます", "くださる", "下さる", "ござる", "御座る"}
_FINAL_PARTICLES = {"よ", "ね", "か", "な", "わ", "ぞ", "の", "かな", "よね"}


def _style(toks: tuple[Tok, ...]) -> str | None:
    ts = [t for t in toks if t.pos0 not in ("補助記号", "空白", "記号")]
    while ts and ts[-1].pos0 == "助詞" and ts[-1].pos[1] == "終助詞" and ts[-1].surface in _FINAL_PARTICLES:
        ts.pop()
    if not ts:
        return None
    last = ts[-1]
    if last.pos0 not in ("動詞", "形容詞", "助動詞"):
        return None
    # walk back over the final predicate chain
    k = len(ts) - 1
    while k >= 0:
        u = ts[k]
        if u.dform in _POLITE_FORMS or u.norm in _POLITE_FORMS:
            return "polite"
        if u.pos0 in ("助動詞",) or (u.pos0 in ("動詞", "形容詞") and u.pos[1] == "非自立可能") or (
                u.pos0 == "助詞" and u.surface in _TE):
            k -= 1
            continue
        break
    if last.dform in ("なさる",) or last.surface in ("なさい",):
        return None
    return "plain"


# -----------------------------------------------------------------------------------------------------------
# pattern rules
# -----------------------------------------------------------------------------------------------------------
_DOUBLE_NEG_RE = re.compile(
    r"な(?:い|かった)(?:わけ|訳)(?:で|じゃ)(?:は|も)?(?:ない|なかった|ありません|ございません)"
    r"|なく(?:は|も)(?:ない|なかった|ありません)"
    r"|な(?:い|かった)(?:こと|事)(?:は|も)(?:ない|なかった|ありません)"
    r"|ないとは(?:限ら|かぎら|言え|いえ)"
    r"|ざるを(?:得|え)(?:ない|ません)"
    r"|ないでも(?:ない|ありません)"
    r"|ない(?:わけ|訳)にはいか"
    r"|ない(?:では|でも)いられ|ずにはいられ"
)
_HONORIFIC_FORMS = {
    "いらっしゃる", "おっしゃる", "仰る", "召し上がる", "召しあがる", "めしあがる", "なさる", "為さる",
    "申す", "申し上げる", "参る", "伺う", "うかがう", "存じる", "存ずる", "致す", "いたす", "頂く", "いただく", "頂ける", "いただける",
    "おる", "ござる", "御座る", "差し上げる", "承る",
}
_HONORIFIC_NOUNS = {"拝見", "拝借", "お越し", "ご覧", "御覧"}
_VAGUE_RE = re.compile(r"かも(?:しれ|知れ)(?:ません|ない|ず)|と思われ(?:ます|る|ました)|など多数|等々")
_WAREKI_RE = re.compile(r"(令和|平成|昭和)\s*(元|\d+|[一二三四五六七八九十〇]+)\s*年")
_SEIREKI_RE = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
_RANGE_RE = re.compile(r"[〜～~]")
_SLASH_YMD_RE = re.compile(r"(?<![\d/])(\d{4})\s*/\s*(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_SLASH_MD_RE = re.compile(r"(?<![\d/.])(\d{1,2})\s*/\s*(\d{1,2})(?![\d/])")
_TIME_COLON_RE = re.compile(r"(?<!\d)(\d{1,2})\s*[:：]\s*([0-5]\d)(?!\d)")
_TIME_JI_RE = re.compile(r"(?<!\d)(\d{1,2})\s*時(?!間)")


def _honorifics(toks: tuple[Tok, ...]) -> list[str]:
    found: list[str] = []
    n = len(toks)
    for i, t in enumerate(toks):
        if t.pos0 == "動詞" and (t.dform in _HONORIFIC_FORMS or t.norm in _HONORIFIC_FORMS):
            if t.dform == "おる" and not (i > 0 and toks[i - 1].surface in _TE):
                continue  # only 〜ております
            found.append(t.dform)
        elif t.surface in _HONORIFIC_NOUNS:
            found.append(t.surface)
        # お/ご〜になる
        if t.pos0 == "接頭辞" and t.norm == "御":
            for j in range(i + 1, min(i + 4, n - 1)):
                if toks[j].surface == "に" and toks[j + 1].dform in ("なる", "成る"):
                    found.append("".join(x.surface for x in toks[i:j + 2]))
                    break
    return found


def _passive_causative(toks: tuple[Tok, ...]) -> list[str]:
    out = []
    for i, t in enumerate(toks):
        if t.pos0 == "助動詞" and t.dform in ("れる", "られる", "せる", "させる"):
            prev = toks[i - 1].surface if i > 0 else ""
            out.append(prev + t.surface)
    return out


def _vague(s: _Sentence) -> list[str]:
    found = [m.group(0) for m in _VAGUE_RE.finditer(s.text)]
    for i, t in enumerate(s.toks):
        if t.surface == "等" and i > 0:
            found.append(s.toks[i - 1].surface + "等")
    return found


_KA_EXCEPT = {"文化", "変化", "強化", "悪化", "進化", "消化", "美化", "緑化", "浄化", "退化", "化学"}


def _nominalizations(s: _Sentence) -> list[str]:
    found = []
    koto = 0
    for i, t in enumerate(s.toks):
        if t.surface in ("こと", "事") and i > 0 and s.toks[i - 1].pos0 in ("動詞", "助動詞", "形容詞"):
            koto += 1
        if t.surface.endswith("化") and len(t.surface) >= 3 and all(is_kanji(c) for c in t.surface):
            if t.surface[-2:] not in _KA_EXCEPT:
                found.append(t.surface)
        elif t.surface == "化" and t.pos0 == "接尾辞" and i > 0:
            found.append(s.toks[i - 1].surface + "化")
    if koto >= 2:
        found.append(f"〜こと×{koto}")
    if "の実施" in s.text:
        found.append("〜の実施")
    return found


# -----------------------------------------------------------------------------------------------------------
# vocabulary
# -----------------------------------------------------------------------------------------------------------
_CONTENT_POS = ("名詞", "動詞", "形容詞", "形状詞", "副詞")


def _is_content(toks: tuple[Tok, ...], i: int) -> bool:
    t = toks[i]
    if t.pos0 not in _CONTENT_POS:
        return False
    if t.pos[1] in ("数詞", "固有名詞"):
        return False
    if not any(is_kanji(c) or is_hiragana(c) or is_katakana(c) for c in t.surface):
        return False
    prev = toks[i - 1] if i > 0 else None
    if prev is not None and prev.pos[1] == "数詞":
        return False  # counters: 3日, 10時
    if t.pos[1] == "非自立可能" and prev is not None and (prev.surface in _TE or prev.pos0 in ("名詞", "接頭辞")):
        return False  # 〜ている, 確認する
    return True


_I_TO_U = str.maketrans("いきしちにひみりぎびじ", "うくすつぬふむるぐぶず")


def _verb_keys(noun: str) -> list[str]:
    """申し込み → 申し込む, 調べ → 調べる: nouns made from a verb's 連用形."""
    if len(noun) < 2 or not is_hiragana(noun[-1]):
        return []
    return [noun[:-1] + noun[-1].translate(_I_TO_U), noun + "る"]


def _covered(t: Tok) -> bool:
    keys = [t.dform, t.norm, t.surface]
    if len(t.surface) > 2 and t.surface[0] in "おご御":
        keys.append(t.surface[1:])  # ご利用, お知らせ
    if vocab.covers(keys, t.surface):
        return True
    if t.pos0 == "名詞" and vocab.covers(_verb_keys(t.surface), ""):
        return True
    pieces = split_a(t.surface)
    parts = [p for p in pieces if p.pos0 not in ("接尾辞", "接頭辞", "補助記号")]
    if len(pieces) > 1 and parts and all(vocab.covers([p.dform, p.norm, p.surface], p.surface) for p in parts):
        return True
    return False


# -----------------------------------------------------------------------------------------------------------
# helpers
# -----------------------------------------------------------------------------------------------------------
def _runs(text: str, pred, mask: list[bool] | None = None) -> list[tuple[int, int]]:
    runs = []
    i = 0
    n = len(text)
    while i < n:
        if pred(text[i]) and not (mask and mask[i]):
            j = i
            while j < n and pred(text[j]) and not (mask and mask[j]):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _short(items: list[str], k: int = 8) -> str:
    uniq = list(dict.fromkeys(items))
    s = "、".join(uniq[:k])
    return s + ("…" if len(uniq) > k else "")


def _kata_char(c: str) -> bool:
    return is_katakana(c) and c not in "ヶヵ" or c == "ー"


# -----------------------------------------------------------------------------------------------------------
# check
# -----------------------------------------------------------------------------------------------------------
def check(text: str, profile: str = "everyday", furigana: bool = False,
          allowlist: Iterable[str] = ()) -> list[Issue]:
    """Check `text` against the やさしい日本語 rules; return the issues found (empty list = fine)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of {sorted(PROFILES)})")
    prof = PROFILES[profile]
    allow = _prepare_allowlist(allowlist)
    stripped, readings = strip_furigana_map(strip_wakachi(text or ""))
    url_all = _url_mask(stripped)

    sentences: list[_Sentence] = []
    for a, b in _split(stripped, url_all):
        raw = stripped[a:b]
        # trim surrounding whitespace, keep offsets
        la = len(raw) - len(raw.lstrip())
        raw2 = raw.strip()
        if not raw2:
            continue
        a2 = a + la
        sentences.append(_Sentence(raw2, a2, tokenize(raw2), _allow_mask(raw2, allow), url_all[a2:a2 + len(raw2)]))

    kyoiku, joyo = _kanji_sets()
    issues: list[Issue] = []
    styles: list[tuple[_Sentence, str]] = []
    content_total = 0
    content_ok = 0
    uncovered: list[str] = []

    for s in sentences:
        st = s.text
        add = lambda rule, level, msg: issues.append(Issue(rule, level, st, msg))  # noqa: E731
        clean = s.clean()
        body = clean.rstrip(_TERMINATORS + _CLOSERS + " 　")

        # --- length
        mora = _sentence_mora(s)
        if mora > prof["max_mora"]:
            add("sentence_mora", "error", f"文が長すぎます（{mora}拍。{prof['max_mora']}拍以内にしてください）")
        nchar = len(re.sub(r"\s", "", body))
        if nchar > CHARS_ERROR:
            add("sentence_length", "error", f"文が長すぎます（{nchar}字。{CHARS_ERROR}字以内、できれば{CHARS_WARN}字以内）")
        elif nchar > CHARS_WARN:
            add("sentence_length", "warning", f"文が少し長いです（{nchar}字。{CHARS_WARN}字以内がよいです）")

        # --- one idea per sentence
        preds = _count_predicates(s.toks)
        if preds > 2:
            add("one_idea", "error", f"1つの文に述語が{preds}つあります。文を分けてください")
        elif preds > 1:
            add("one_idea", "warning", f"1つの文に述語が{preds}つあります。1文1情報にしてください")

        # --- kanji
        kanji = [c for c, u in zip(st, s.url) if is_kanji(c) and not u]
        if len(kanji) > prof["max_kanji"]:
            add("kanji_count", "error", f"漢字が多すぎます（{len(kanji)}字。1文{prof['max_kanji']}字以内）")
        for i, j in _runs(st, is_kanji, s.allowed):
            run = st[i:j]
            if j - i >= KANJI_RUN_ERROR:
                add("kanji_run", "error", f"漢字が{j - i}字続いています: {run}")
            elif j - i >= KANJI_RUN_WARN:
                add("kanji_run", "warning", f"漢字が{j - i}字続いています: {run}")
        free = [c for c, al, u in zip(st, s.allowed, s.url) if is_kanji(c) and not al and not u and c not in "々〆〇"]
        not_joyo = [c for c in free if c not in joyo]
        not_kyoiku = [c for c in free if c in joyo and c not in kyoiku]
        if not_joyo:
            add("kanji_grade", "error", f"常用漢字ではない漢字があります: {_short(not_joyo)}")
        if not_kyoiku:
            add("kanji_grade", "warning", f"小学校で習わない漢字があります: {_short(not_kyoiku)}")
        if furigana:
            missing = []
            for i, j in _runs(st, is_kanji):
                end = s.start + j
                ok = end in readings
                k = j
                while not ok and k < len(st) and k - j < 4 and is_hiragana(st[k]):
                    k += 1
                    ok = (s.start + k) in readings
                if not ok:
                    missing.append(st[i:j])
            if missing:
                add("furigana_missing", "error", f"ふりがながありません: {_short(missing)}")

        # --- words
        for i, t in enumerate(s.toks):
            if s.url[min(t.begin, len(s.url) - 1)] or any(s.allowed[t.begin:t.end]):
                continue
            if _is_content(s.toks, i):
                content_total += 1
                if _covered(t):
                    content_ok += 1
                else:
                    uncovered.append(t.surface)
        for name in allow:
            c = st.count(name)
            content_total += c
            content_ok += c
        kata_err = []
        err_spans = []
        for i, j in _runs(st, lambda c: _kata_char(c) or c == "・", s.allowed):
            i2, j2 = i, j
            while i2 < j2 and st[i2] in "・ー":
                i2 += 1
            while j2 > i2 and st[j2 - 1] == "・":
                j2 -= 1
            run = st[i2:j2]
            if len(run.replace("・", "")) >= KATAKANA_RUN_ERROR:
                kata_err.append(run)
                err_spans.append((i2, j2))
        if kata_err:
            add("katakana", "error", f"カタカナが長すぎます: {_short(kata_err)}")
        loan = []
        for t in s.toks:
            sf = t.surface
            if len(sf) < 2 or not all(_kata_char(c) for c in sf) or not any(is_katakana(c) for c in sf):
                continue
            if any(s.allowed[t.begin:t.end]) or any(a <= t.begin < b for a, b in err_spans):
                continue
            if t.pos0 in ("名詞", "形状詞", "動詞", "副詞") and not vocab.covers([t.dform, t.norm, sf], sf):
                loan.append(sf)
        if loan:
            add("katakana", "warning", f"カタカナのことば（外来語）があります: {_short(loan)}")

        # --- grammar and wording
        for m in _DOUBLE_NEG_RE.finditer(st):
            add("double_negative", "error", f"二重否定があります: {m.group(0)}。「〜です」「〜ます」で言い切ってください")
        hon = _honorifics(s.toks)
        if hon:
            add("honorific", prof["honorific"], f"敬語があります: {_short(hon)}。「〜ます」「〜てください」にしてください")
        pc = _passive_causative(s.toks)
        if pc:
            add("passive_causative", "warning", f"受け身・使役の形があります: {_short(pc)}")
        vg = _vague(s)
        if vg:
            add("vague", "warning", f"あいまいな言い方があります: {_short(vg)}")
        nm = _nominalizations(s)
        if nm:
            add("nominalization", "warning", f"名詞にした言い方があります: {_short(nm)}。動詞で書いてください")
        style = _style(s.toks)
        if style:
            styles.append((s, style))

        # --- dates and times
        nt = nfkc(clean)
        for m in _WAREKI_RE.finditer(nt):
            if not _SEIREKI_RE.search(_WAREKI_RE.sub(" ", nt)):
                add("wareki", "error", f"和暦だけです: {m.group(0)}。西暦も書いてください（例: 2025年）")
        ranges = _RANGE_RE.findall(nt)
        if ranges:
            add("range", "error", "「〜」を使わないでください。「から」「まで」と書いてください")
        slash = [m.group(0) for m in _SLASH_YMD_RE.finditer(nt)
                 if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31]
        rest = _SLASH_YMD_RE.sub(" ", nt)
        slash += [m.group(0) for m in _SLASH_MD_RE.finditer(rest)
                  if 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31]
        if slash:
            add("slash_date", "error", f"「/」の日付があります: {_short(slash)}。「4月1日」のように書いてください")
        late = [m.group(0) for m in _TIME_COLON_RE.finditer(nt) if 13 <= int(m.group(1)) <= 24]
        late += [m.group(0) for m in _TIME_JI_RE.finditer(nt) if 13 <= int(m.group(1)) <= 24]
        if late:
            add("time_24h", "warning", f"24時間の時刻があります: {_short(late)}。「午後1時」のように書いてください")

    # --- text-level: style mix
    polite = [s for s, k in styles if k == "polite"]
    plain = [s for s, k in styles if k == "plain"]
    if polite and plain:
        minority = plain if len(plain) <= len(polite) else polite
        want = "です・ます" if minority is plain else "普通体（だ・である）"
        for s in minority:
            issues.append(Issue("style_mix", "error", s.text,
                                f"「です・ます」と「だ・である」がまざっています。{want}にそろえてください"))

    # --- text-level: vocabulary
    if content_total >= VOCAB_MIN_WORDS:
        share = content_ok / content_total
        if share < VOCAB_MIN_SHARE:
            issues.append(Issue(
                "vocabulary", "error", "",
                f"やさしいことば（日本語能力試験N5・N4）が{share:.0%}です（{content_ok}/{content_total}語。"
                f"90%以上にしてください）。むずかしいことば: {_short(uncovered, 10)}"))
    return issues
