"""knowledge/_common/keywords.yaml: cross-language civic vocabulary (resident's phrase -> Japanese search words)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot import textproc as tp

REPO = Path(__file__).resolve().parents[1]
KEYWORDS = REPO / "knowledge" / "_common" / "keywords.yaml"
SYNONYMS = REPO / "knowledge" / "_common" / "synonyms.yaml"

LANGS = ["en", "zh", "ko", "vi", "tl", "pt", "ne", "id"]
MIN_PER_LANG = 60
# Latin acronyms that Japanese municipal documents use as they are
JA_ACRONYMS = {"DV", "DX", "LGBTQ", "LINE", "NPO", "SDGs", "SNS", "YouTube",   # as Japanese plans write them
               "Instagram", "Facebook", "Twitter"}
# Keys that would match almost any question in some language
TOO_GENERIC = {"city", "help", "what", "where", "how", "the", "info", "information", "question", "ask", "please",
               "ada", "na", "sa", "ng", "po", "di", "ke", "em", "de", "da", "do", "cidade", "kota", "lungsod",
               "thành phố", "thanh pho", "市", "城市", "도시", "शहर", "सहर", "bisa", "tulong", "bantuan", "ajuda",
               "giúp", "giup", "도움", "帮助", "मद्दत", "line", "card", "number", "service", "japan", "japanese"}
SHORT_OK = {"dv", "dx"}

HEADER = re.compile(r"^\s*# == (\w+):")
KEY_LINE = re.compile(r"^  (?!#)(\S.*?): \[")
JA_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
DEVANAGARI_RE = re.compile(r"[\u0900-\u097f]")


@pytest.fixture(scope="module")
def data() -> dict:
    d = yaml.safe_load(KEYWORDS.read_text(encoding="utf-8"))
    assert isinstance(d, dict) and isinstance(d.get("translations"), dict)
    return d["translations"]


@pytest.fixture(scope="module")
def sections() -> dict[str, list[str]]:
    """Keys per `# == xx: ... ==` section of the file, in file order."""
    out: dict[str, list[str]] = {}
    lang = None
    for line in KEYWORDS.read_text(encoding="utf-8").splitlines():
        m = HEADER.match(line)
        if m:
            lang = m.group(1)
            out.setdefault(lang, [])
            continue
        if KEY_LINE.match(line):
            assert lang, f"key before any language section: {line}"
            (key,) = yaml.safe_load(line.strip()).keys()
            out[lang].append(key)
    return out


def _matches(phrase: str, text: str) -> bool:
    """The rule of bot.search.Index.expand."""
    folded = " " + tp.fold(text) + " "
    latin = phrase.isascii() or all(ord(c) < 0x2E80 for c in phrase)
    if latin:
        return bool(re.search(r"(?<![\w])" + re.escape(phrase) + r"(?![\w])", folded))
    return phrase in folded


def test_structure(data):
    assert len(data) > 8 * MIN_PER_LANG
    for k, v in data.items():
        assert isinstance(k, str) and k, k
        assert k == k.lower(), f"not lower case: {k!r}"
        assert k == unicodedata.normalize("NFKC", k), f"not NFKC (queries are NFKC-folded): {k!r}"
        assert k == tp.fold(k), f"stray spaces or dashes: {k!r}"
        assert isinstance(v, list) and v, f"{k}: empty"
        assert all(isinstance(w, str) and w.strip() for w in v), f"{k}: {v}"
        assert len(set(v)) == len(v), f"{k}: duplicate words {v}"
        assert any(JA_RE.search(w) for w in v), f"{k}: no Japanese word in {v}"
        for w in v:
            assert JA_RE.search(w) or w in JA_ACRONYMS, f"{k}: {w!r} is not Japanese"
            assert tp.ja_tokens(w), f"{k}: {w!r} yields no search token"


def test_keys_are_not_too_generic(data):
    for k in data:
        assert k not in TOO_GENERIC, k
        if k.isascii():
            assert len(k) >= 3 or k in SHORT_OK, k
        elif HAN_RE.search(k) or HANGUL_RE.search(k):
            assert len(k) >= 2, k
        elif DEVANAGARI_RE.search(k):
            assert len(k) >= 3, k


def test_no_duplicates_of_synonyms(data):
    syn = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8"))
    existing = {str(k).lower() for k in (syn.get("translations") or {})}
    assert not existing & set(data), sorted(existing & set(data))


def test_every_key_matches_itself(data):
    """A resident typing exactly the phrase (in a sentence) triggers it: lower case, NFKC and word boundaries agree."""
    for k in data:
        assert _matches(k, f"Q: {k} ?"), k


def test_languages_are_covered(data, sections):
    assert list(sections) == LANGS
    keys = [k for ks in sections.values() for k in ks]
    assert len(keys) == len(set(keys)) == len(data), "a key is listed twice or outside the language sections"
    for lang in LANGS:
        assert len(sections[lang]) >= MIN_PER_LANG, (lang, len(sections[lang]))
    # scripts agree with the sections
    for k in sections["zh"]:
        assert HAN_RE.search(k) and not HANGUL_RE.search(k), k
    for k in sections["ko"]:
        assert HANGUL_RE.search(k), k
    for k in sections["ne"]:
        assert DEVANAGARI_RE.search(k), k
    for lang in ("en", "vi", "tl", "pt", "id"):
        for k in sections[lang]:
            assert all(ord(c) < 0x2E80 for c in k) and not DEVANAGARI_RE.search(k), (lang, k)
    assert all(k.isascii() for k in sections["en"])
    # Vietnamese and Portuguese come with and without diacritics
    for lang, accented in (("vi", "thành phố kết nghĩa"), ("pt", "cidade irmã")):
        plain = [k for k in sections[lang] if k.isascii()]
        marked = [k for k in sections[lang] if not k.isascii()]
        assert len(plain) >= MIN_PER_LANG // 2 and len(marked) >= MIN_PER_LANG // 2, lang
        assert accented in marked


# ---- end to end through the search index -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def index():
    from bot.kb.registry import KnowledgeBase
    return KnowledgeBase().get("katori").index


def _tokens(index, text, lang):
    return {t for t, _w, _c in index.expand(text, lang)}


def _translated(index, text, lang):
    return {t for t, w, _c in index.expand(text, lang) if w == 0.8}


@pytest.mark.parametrize("text,lang,expected", [
    ("Does Katori have a cidade irmã?", "pt", "姉妹都市"),
    ("Quais são as cidades-irmãs de Katori?", "pt", "姉妹都市"),
    ("katori tem cidades irmas?", "pt", "姉妹都市"),
    ("Thành phố kết nghĩa của Katori là ở đâu?", "vi", "姉妹都市"),
    ("thanh pho ket nghia cua katori", "vi", "姉妹都市"),
    ("香取市的姐妹城市是哪里？", "zh", "姉妹都市"),
    ("가토리시의 자매도시는 어디입니까?", "ko", "姉妹都市"),
    ("Ano ang kapatid na lungsod ng Katori?", "tl", "姉妹都市"),
    ("Apa kota kembar Katori?", "id", "姉妹都市"),
    ("काटोरीको भगिनी शहर कुन हो ?", "ne", "姉妹都市"),
    ("Is there a coordinator for international relations?", "en", "国際交流員"),
    ("How do I send a letter to the mayor?", "en", "手紙"),
    ("Tem associação de moradores no meu bairro?", "pt", "自治会"),
    ("Có trợ cấp cho nhà trống không?", "vi", "空き家"),
    ("Saan ang munisipyo?", "tl", "市役所"),
    ("Bagaimana cara membuang sampah?", "id", "ごみ"),
    ("我想了解除雪的信息", "zh", "除雪"),
    ("마이넘버카드 신청은 어디서 하나요?", "ko", "マイナンバーカード"),
    ("온라인 신청이 가능한가요?", "ko", "電子申請"),
    ("विपद् पूर्वतयारी कसरी गर्ने ?", "ne", "防災"),
    ("Paano mag-donate sa hometown tax donation?", "tl", "ふるさと納税"),
    ("Ada subsidi untuk memulai usaha?", "id", "起業"),
])
def test_expand_reaches_japanese(index, text, lang, expected):
    toks = _tokens(index, text, lang)
    want = set(tp.ja_tokens(expected))
    assert want <= toks, (text, sorted(want - toks))


def test_no_false_friends(index):
    # 라인 (LINE) must not fire inside 온라인 (online); generic greetings expand to nothing
    assert not {t for t in _translated(index, "온라인 신청", "ko")} & set(tp.ja_tokens("LINE公式アカウント"))
    for text, lang in [("Hello, can you tell me what time it is?", "en"), ("Olá, tudo bem? Eu queria perguntar uma coisa", "pt"),
                       ("Halo, saya mau tanya sesuatu", "id"), ("Magandang araw po, may tanong po ako", "tl"),
                       ("你好，我想问一个问题", "zh"), ("안녕하세요, 질문이 있습니다", "ko")]:
        assert not _translated(index, text, lang), text
