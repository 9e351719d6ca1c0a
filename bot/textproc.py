"""Text pipeline for matching: folding, Japanese tokens (SudachiPy), readings, and tokens of other scripts.

Only used to *match* text; what residents read is never normalised.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer
from sudachipy import Dictionary, SplitMode

_local = threading.local()
_dict_lock = threading.Lock()
_DICT = None

KANA_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ", "あいうえおつやゆよわアイウエオツヤユヨワカケ")
HIRA_TO_KATA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
KATA_TO_HIRA = {c + 0x60: c for c in range(0x3041, 0x3097)}

# Content parts of speech kept for matching.
CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞", "接頭辞", "接尾辞", "連体詞"}
# Words that say nothing about what is asked (normalised forms). Kept small on purpose: a generic word
# in the knowledge base (支援, 相談) is weighted down by IDF anyway.
JA_STOP = set("""
為る 有る 居る 成る 出来る 言う 思う 致す 下さる 頂く 貰う 呉れる 行く 来る 見る 知る 教える 分かる 良い 無い 欲しい 其の 此の
事 物 為 様 方 所 時 中 的 等 位 程 達 人 さん 様 何 何処 誰 何時 如何 どう どの どれ どんな いくら 幾ら 此れ 其れ 彼れ
向け 向き 用 関連 関係 方法 仕方 やり方 場合 内容 詳細 具体 について 教える 知る 聞く 尋ねる 意味 です ます ください つく 付く どこ いつ なに なん だれ どれ どう 如何 何れ 知れる 有り 在る 御 お ご 市 本市 当市 ね よ か な の 今 今度 ちょっと 一寸 とても 又 また 是非 もう 皆 について 関する
何方 どちら 何っち どっち どなた 幾 幾つ いくつ
""".split())
EN_STOP = set("""
a an the is are was were be been being am do does did i me my we our you your he she it its they them their this that
these those what which who whom where when why how can could would should will shall may might must to of in on at for
from by with about as into than then there here please tell know want wanna need get got have has had any some there's
and or but if so not no yes hi hello thanks thank city information info question ask like just also
here really very much many lot lots some any anything something someone anyone one ones now recently just still
arrived came come coming go going went make made let lets okay ok oh um well new currently exactly which whose
""".split())
LATIN_STOP = {
    "pt": set("o a os as um uma de do da dos das em no na nos nas para por com que qual quais onde como quando eu meu minha "
              "é e ou se sobre posso pode quero gostaria saber informação cidade".split()),
    "tl": set("ang ng mga sa si ni ay na at ba po ko mo ako ikaw siya kami tayo sila ito iyan iyon saan paano ano kailan "
              "may mayroon gusto ko ba nais para lang".split()),
    "id": set("yang di ke dari dan atau untuk dengan ini itu apa siapa dimana di mana bagaimana kapan saya aku kami kita "
              "ada bisa ingin mau tentang apakah kota informasi".split()),
    "vi": set("tôi toi bạn ban là la của cua và va có co không khong ở o đâu dau nào nao gì gi như nhu thế the muốn "
              "muon được duoc cho về ve thành phố thanh pho bao nhiêu nhieu mấy may sao ai khi làm lam".split()),
}

CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
KANA_RE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
# a run of Japanese (kana, kanji, 々, ー, ・): a name quoted in a question in another language
JA_RUN_RE = re.compile(r"[\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+")
# Chinese question and function words (two characters): how a question is asked, not what it is about
ZH_QUESTION_WORDS = set("哪里 哪儿 哪个 哪些 可以 什么 怎么 怎样 如何 有没 没有 是否 多少 请问 我们 我想 想要 一下 这个 "
                        "那个 为什 能不 不能 能否 有吗 时候 需要 应该 帮我 告诉".split())
HANGUL_WORD_RE = re.compile(r"[\uac00-\ud7a3]+")
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def sudachi_dictionary():
    """The one SudachiPy dictionary of the process (the plain-Japanese checker shares it)."""
    global _DICT
    if _DICT is None:
        with _dict_lock:
            if _DICT is None:
                _DICT = Dictionary(dict="core")
    return _DICT


def _tokenizer(mode):
    key = f"tok_{mode}"
    tok = getattr(_local, key, None)
    if tok is None:            # Sudachi tokenizers are not shared between threads
        tok = sudachi_dictionary().tokenizer(mode=mode)
        setattr(_local, key, tok)
    return tok


def fold(text: str) -> str:
    """NFKC (full/half width), lower case, unified long-vowel marks and spaces."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = re.sub(r"[\u2010-\u2015\u2212\uff0d]", "-", t)
    return re.sub(r"\s+", " ", t).strip()


def to_kata(text: str) -> str:
    return text.translate(HIRA_TO_KATA)


def to_hira(text: str) -> str:
    return text.translate(KATA_TO_HIRA)


def has_japanese(text: str) -> bool:
    return bool(KANA_RE.search(text) or CJK_RE.search(text))


@lru_cache(maxsize=20000)
def morphemes(text: str, mode: str = "A") -> tuple:
    """(surface, normalised form, reading, POS) for each morpheme; cached since queries and names repeat."""
    m = {"A": SplitMode.A, "B": SplitMode.B, "C": SplitMode.C}[mode]
    out = []
    for mo in _tokenizer(m).tokenize(text):
        pos = mo.part_of_speech()[0]
        out.append((mo.surface(), mo.normalized_form(), mo.reading_form(), pos))
    return tuple(out)


def reading(text: str) -> str:
    """Katakana reading of Japanese text (kana kept as is), for kana-only queries to find kanji entries."""
    parts = []
    for surf, _norm, read, pos in morphemes(fold(text)):
        if pos in ("空白", "補助記号"):
            continue
        if KANA_RE.fullmatch(surf or "x") or all(KANA_RE.match(c) for c in surf):
            parts.append(to_kata(surf))
        elif read and read != "キゴウ":
            parts.append(read)
        else:
            parts.append(surf)
    # fold long vowels and small kana so that ひっこし/ヒッコシ and ユーザー/ユーザ meet
    return "".join(parts).replace("ー", "").translate(KANA_SMALL)


_POS: dict[int, str] = {}


def _pos(pos_id: int) -> str:
    p = _POS.get(pos_id)
    if p is None:
        p = _POS[pos_id] = sudachi_dictionary().pos_of(pos_id)[0]
    return p


def _keep(surface: str, norm: str, pos: str) -> str | None:
    if pos not in CONTENT_POS:
        return None
    n = norm if norm and norm != "*" else surface
    if n in JA_STOP or surface in JA_STOP:
        return None
    if len(n) == 1 and not (CJK_RE.match(n) or n.isdigit()):      # lone kana are noise; 方策7's 7 is not
        return None
    return n


@lru_cache(maxsize=20000)
def _ja_tokens(t: str) -> tuple[tuple[str, str], ...]:
    """(token, part of speech) pairs."""
    out: list[tuple[str, str]] = []
    # One pass in long units (国民健康保険料), each split into its short units (国民 健康 保険 料): both kinds of
    # match count, and Sudachi runs once.
    for m in _tokenizer(SplitMode.C).tokenize(t):
        pos = _pos(m.part_of_speech_id())
        long = _keep(m.surface(), m.normalized_form(), pos)
        subs = m.split(SplitMode.A) if len(m.surface()) > 1 else []
        if len(subs) > 1:
            for a in subs:
                apos = _pos(a.part_of_speech_id())
                n = _keep(a.surface(), a.normalized_form(), apos)
                if n:
                    out.append((n, apos))
            if long and all(long != x for x, _ in out):
                out.append((long, pos))
        elif long:
            out.append((long, pos))
    return tuple(out)


def ja_tokens(text: str) -> list[str]:
    """Content tokens of Japanese text: normalised forms of short units plus long compounds."""
    return [t for t, _ in _ja_tokens(fold(text))]


def long_units(text: str) -> list[str]:
    """The content words of Japanese text in long units only (地区センター, not 地区 + センター)."""
    return [n for surf, norm, _r, pos in morphemes(fold(text), "C") if (n := _keep(surf, norm, pos))]


PREDICATE_POS = {"動詞", "形容詞", "副詞", "形状詞"}


@lru_cache(maxsize=50000)
def synonym_groups(token: str) -> tuple[int, ...]:
    """Sudachi's synonym group ids of a token that is one word (引っ越し, 転居 and 移住 share one)."""
    ms = _tokenizer(SplitMode.C).tokenize(token)
    return tuple(ms[0].synonym_group_ids()) if len(ms) == 1 else ()


def ja_predicates(text: str) -> set[str]:
    """The content tokens that are verbs, adjectives or adverbs: how a question is put (ちゃんと, 調べる), while its
    nouns carry what it is about."""
    return {t for t, pos in _ja_tokens(fold(text)) if pos in PREDICATE_POS}


def bigrams(s: str) -> list[str]:
    s = re.sub(r"\s+", "", s)
    if len(s) < 2:
        return [s] if s else []
    return [s[i:i + 2] for i in range(len(s) - 1)]


def reading_grams(text: str) -> list[str]:
    return ["~" + g for g in bigrams(reading(text))]


# Snowball stemmers for the languages that inflect and that Snowball knows: विदेशीहरूले and विदेशी, consultas and
# consulta, pertukaran and tukar meet. Tagalog and Vietnamese have none (Vietnamese does not inflect).
_STEMMER_NAMES = {"en": "english", "pt": "portuguese", "id": "indonesian", "es": "spanish", "ne": "nepali"}


def _stemmer(lang: str):
    key = f"stem_{lang}"
    st = getattr(_local, key, None)
    if st is None and lang in _STEMMER_NAMES:      # a stemmer object keeps state: one per thread
        st = snowballstemmer.stemmer(_STEMMER_NAMES[lang])
        setattr(_local, key, st)
    return st


@lru_cache(maxsize=50000)
def stem(word: str, lang: str) -> str:
    st = _stemmer(lang)
    return st.stemWord(word) if st is not None else word


def latin_tokens(text: str, lang: str = "en") -> list[str]:
    words = WORD_RE.findall(fold(text))
    stop = EN_STOP | LATIN_STOP.get(lang, set())
    out = []
    for w in words:
        if w in stop or len(w) < 2:
            continue
        out.append(stem(w, lang))
    if lang == "vi":
        # Vietnamese writes syllables apart; most words are two of them (bệnh viện, hospital): pairs are the words
        out += [f"{a}_{b}" for a, b in zip(words, words[1:]) if a not in stop and b not in stop]
    return out


def cjk_grams(text: str) -> list[str]:
    """Chinese (and kanji) characters as unigrams and bigrams, so that a Chinese query meets Japanese kanji."""
    out = []
    for run in re.findall(r"[\u3400-\u9fff]+", fold(text)):
        out += list(run)
        out += bigrams(run)
    return out


# Korean particles and question endings attach to the word (외국인은, 담당이에요): what is left is its stem
KO_ENDINGS = sorted("""이에요 예요 인가요 인가 입니까 습니까 합니까 해요 하나요 나요 까요 은 는 이 가 을 를 에서 에게 에 의 도
로 으로 와 과 까지 부터 만 하고 이나 나 이랑 랑 에는 에서는 으로는 로는 하는 한 할 되나요 되는 된""".split(), key=len, reverse=True)


def ko_stem(word: str) -> str:
    for e in KO_ENDINGS:
        if word.endswith(e) and len(word) - len(e) >= 2:
            return word[: -len(e)]
    return word


# question words and request endings: how a Korean question is asked, not what it is about
KO_STOP = set("어느 과 무엇 무엇인가요 무엇입니까 뭐 뭐예요 뭔가요 어디 어디서 어디에 어디에서 언제 누구 누가 어떻게 어떤 왜 몇 "
              "있나요 있어요 있습니까 있는지 없나요 알려 알려주세요 주세요 가르쳐 궁금해요 궁금합니다 좀 제가 저는 저 나는 "
              "하고 싶어요 싶습니다 수 있을까요 됩니까 되나요 해야 하나요 합니까 "
              "에서 에서는 에 에는 은 는 이 가 을 를 의 도 로 으로 와".split())   # particles left alone


def hangul_tokens(text: str) -> list[str]:
    out = []
    for w in HANGUL_WORD_RE.findall(fold(text)):
        if w in KO_STOP:
            continue
        out.append(w)
        out += bigrams(w)
    return out


DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0966-\u097f\u200c\u200d]+")
NE_STOP = set("म मलाई मेरो तपाईं तपाईंको हामी यो त्यो के कहाँ कसरी कहिले को का की मा ले लाई बाट र वा छ छन् हो हुन् "
              "गर्न सक्छु सक्छ सकिन्छ पनि कुनै".split())


def devanagari_tokens(text: str) -> list[str]:
    """Nepali words: vowel signs and viramas are not \\w to Python, so words are runs of the Devanagari block."""
    return [stem(w, "ne") for w in DEVANAGARI_WORD.findall(unicodedata.normalize("NFC", text))
            if w not in NE_STOP and len(w) > 1]


def tokens(text: str, lang: str) -> list[str]:
    """Tokens of `text` written in `lang` (a product language code)."""
    if not text:
        return []
    if lang in ("ja", "ja-easy"):
        return ja_tokens(text)
    if lang == "zh":
        return cjk_grams(text)
    if lang == "ko":
        return hangul_tokens(text)
    if lang == "ne":
        return devanagari_tokens(text)
    return latin_tokens(text, lang)


@lru_cache(maxsize=5000)
def place_names(text: str) -> tuple[str, ...]:
    """Municipality names in Japanese text: a place-name morpheme followed by 市/町/村 (香取市, 小国町)."""
    out = []
    tok = _tokenizer(SplitMode.A)
    ms = list(tok.tokenize(fold(text)))
    for a, b in zip(ms, ms[1:]):
        pos = a.part_of_speech()
        if pos[1] == "固有名詞" and pos[2] == "地名" and b.surface() in ("市", "町", "村"):
            out.append(a.surface() + b.surface())
    return tuple(out)
