"""Ranking: BM25 per field, question-to-question similarity, readings and typo tolerance, combined.

One index per tenant, built once at start-up (and on reload); curated tenants and imported FAQs use the same engine.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot import textproc as tp
from bot.intent import kind_prior
from bot.phrasebook import phrasebook
from bot.kb.entries import Entry

# Fields: q = question variants and titles, k = keywords, a = the answer text, r = katakana readings (bigrams).
FIELDS = ("q", "k", "a", "r")
K1 = 1.2
B = {"q": 0.5, "k": 0.3, "a": 0.75, "r": 0.5}
# Combination weights (tuned on the LocalGovFAQ development queries and the team's evaluation set; see bench/).
W = {"q": 1.0, "k": 0.6, "a": 0.7, "r": 0.25, "qsim": 0.35, "cov": 1.0, "emb": 0.4}
LATIN = ("en", "pt", "tl", "id", "vi", "es")
POOL = 60                      # candidates scored in full
EMB_POOL = 30                  # candidates the embedding similarity adds
# Sudachi's synonym groups (転居 ~ 引っ越し ~ 移住): a word's group members the KB uses. They rank; they stand in for
# a query word as a covered concept only where the KB lacks the word itself, since a group is broad (子供 ~ 児童) and
# would make out-of-scope questions look answered. Measured: LocalGovFAQ dev SR@1 0.576 -> 0.587, nDCG@10 0.616 ->
# 0.625; the cities' sets flat (bench/).
SUDACHI_SYN = 0.5
PHRASING = 0.3                 # weight of an unknown verb or adverb in the coverage, against an unknown noun
PLAN_NUMBER_RE = re.compile(r"(?<![\d.,])\d+(?:-\d+)+(?![\d.,%])")          # 6-2-3
PLAN_WORD_NUMBER_RE = re.compile(r"(?:方策|取組事項|取組|目標|施策|柱|大綱|節|項)\s*(\d+)")  # 方策7


@dataclass
class Hit:
    entry: Entry
    score: float          # ranking score
    confidence: float     # 0..1, calibrated for the answer / choices / fallback decision
    coverage: float       # IDF-weighted share of the query's words the entry holds
    qsim: float           # best similarity of the query to one of the entry's questions or titles
    concepts: int = 0     # how many distinct words (concepts) the question holds


def _field_texts(e: Entry) -> dict[str, list[tuple[str, str]]]:
    """(text, language) pairs per field."""
    q = [(s, lang) for lang, qs in e.questions.items() for s in qs]
    q += [(s, lang) for lang, s in e.title.items() if s]
    k = [(s, "ja" if tp.has_japanese(s) else "en") for s in e.keywords if s]
    a = [(s, lang) for lang, s in e.body.items() if s and lang != "ja-easy"]
    return {"q": q, "k": k, "a": a}


def query_tokens(text: str, lang: str) -> list[str]:
    toks = []
    # a question in another language that quotes a Japanese name ('ぷらっと'): the analyser reads only the Japanese,
    # the rest keeps its own language's words and stop words
    ja_text = text if lang in ("ja", "ja-easy") else " ".join(tp.JA_RUN_RE.findall(text))
    if tp.has_japanese(ja_text) and lang != "zh":
        toks += tp.ja_tokens(ja_text)
    if lang == "zh":
        toks += tp.cjk_grams(text)
    elif lang == "ko":
        toks += tp.hangul_tokens(text)
    elif lang == "ne":
        toks += tp.devanagari_tokens(text)
    elif lang not in ("ja", "ja-easy") or not tp.has_japanese(text):
        toks += [t for t in tp.latin_tokens(text, lang if lang in LATIN else "en") if not tp.has_japanese(t)]
    return toks


KANA_PARTICLES = r"(?:には|では|から|まで|って|は|が|を|に|で|の|と|も|へ|や)"


def kana_written(text: str) -> bool:
    """Written in kana (「いじゅう そうだん」): the readings carry the match. Grammar is kana in any Japanese, so what
    counts is that the content has (almost) no kanji."""
    return tp.has_japanese(text) and len(tp.CJK_RE.findall(text)) <= 1 and len(tp.KANA_RE.findall(text)) >= 3


class Index:
    def __init__(self, entries: list[Entry], synonyms: list[list[str]] | None = None,
                 translations: dict[str, list[str]] | None = None, embeddings=None):
        self.entries = entries
        self.embeddings = embeddings           # bot.embed.EntryEmbeddings, or None: lexical only
        self.n = len(entries)
        self.postings: dict[str, dict[int, list[float]]] = defaultdict(dict)
        self.lengths = [[0.0] * len(FIELDS) for _ in entries]
        self.variants: list[str] = []          # folded question variants and titles
        self.variant_entry: list[int] = []
        self.entry_variants: list[list[str]] = []
        for i, e in enumerate(entries):
            texts = _field_texts(e)
            per_field = [Counter() for _ in FIELDS]
            for fi, f in enumerate(FIELDS[:3]):
                for s, lang in texts[f]:
                    per_field[fi].update(tp.tokens(s, lang))
            for s, lang in texts["q"] + texts["k"]:
                if lang in ("ja", "ja-easy"):
                    per_field[3].update(tp.reading_grams(s))
            for fi, counts in enumerate(per_field):
                for tok, tf in counts.items():
                    p = self.postings[tok].get(i)
                    if p is None:
                        p = self.postings[tok][i] = [0.0] * len(FIELDS)
                    p[fi] = tf
                self.lengths[i][fi] = sum(counts.values())
            mine = []
            for s, _lang in texts["q"]:
                f = tp.fold(s)
                self.variants.append(f)
                self.variant_entry.append(i)
                mine.append(f)
            self.entry_variants.append(mine)
        # (entry, plan number without its word): 「方策７」 -> "方策7"; "6-2-3" stays
        self.numbers = [(i, tp.fold(e.number).replace(" ", "")) for i, e in enumerate(entries) if e.number]
        self.numbers += [(i, n) for i, e in enumerate(entries) if e.number
                         for n in PLAN_NUMBER_RE.findall(tp.fold(e.number))]
        self.avg = [max(1e-9, sum(l[fi] for l in self.lengths) / max(1, self.n)) for fi in range(len(FIELDS))]
        self.df = {t: len(p) for t, p in self.postings.items()}
        self.lang_share = {l: sum(1 for e in entries if e.body.get(l)) / max(1, self.n)
                           for l in {l for e in entries for l in e.body}}
        self._freeze()
        self.max_idf = math.log(1 + self.n)
        self._synonyms = self._synonym_map(synonyms or [])
        # the KB's Japanese words by their reading (シヤクシヨ -> 市役所: a question in kana finds the words it means)
        # and by Sudachi's synonym group
        self._by_reading: dict[str, list[str]] = defaultdict(list)
        self._syn_groups: dict[int, list[str]] = defaultdict(list)
        for tok in self.df:
            if tok.startswith("~") or not tp.has_japanese(tok):
                continue
            for g in tp.synonym_groups(tok):
                self._syn_groups[g].append(tok)
            if tp.CJK_RE.search(tok) and len(tok) >= 2:
                r = tp.reading(tok)
                if len(r) >= 2 and not tp.CJK_RE.search(r) and tok not in self._by_reading[r]:
                    self._by_reading[r].append(tok)
        self._phrases = phrasebook(translations) if translations else None

    def _freeze(self):
        """Postings as arrays with the query-independent part of BM25 precomputed: a query is a few numpy adds."""
        lengths = np.asarray(self.lengths, dtype=np.float32).reshape(-1, len(FIELDS))
        avg = np.asarray(self.avg, dtype=np.float32)
        b = np.asarray([B[f] for f in FIELDS], dtype=np.float32)
        frozen = {}
        for tok, plist in self.postings.items():
            ids = np.fromiter(plist.keys(), dtype=np.int32, count=len(plist))
            tf = np.asarray(list(plist.values()), dtype=np.float32)            # (n, fields)
            norm = 1 - b + b * lengths[ids] / avg
            frozen[tok] = (ids, (tf * (K1 + 1) / (tf + K1 * norm)).T.copy())   # (fields, n)
        self.frozen = frozen
        self.postings = None             # the arrays replace the dicts (memory)

    def _synonym_map(self, groups: list[list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for g in groups:
            norm = []
            for w in g:
                ts = tp.ja_tokens(w) if tp.has_japanese(w) else tp.latin_tokens(w)
                norm.append(ts[-1] if len(ts) == 1 else (tp.fold(w)))
                if len(ts) > 1:
                    norm.append(tp.fold(w))
            for a in norm:
                for b in norm:
                    if a != b and b not in out[a]:
                        out[a].append(b)
        return dict(out)

    def idf(self, tok: str, foreign: bool = False) -> float:
        df = self.df.get(tok, 0)
        if df == 0:
            # unknown words weigh like the rarest ones: the KB cannot explain them. In a foreign-language question
            # against a mostly Japanese KB many ordinary words are unknown, so they weigh half.
            return self.max_idf * (0.5 if foreign else 1.0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def expand(self, text: str, lang: str, wholes: dict | None = None) -> list[tuple[str, float, str | None]]:
        """Query terms as (token, weight, concept): synonyms and cross-language keywords share a concept.

        Concepts are what coverage counts. A Chinese single character only helps the ranking (concept None): the
        words are its two-character grams. A Korean word's grams share the word as their concept, so a particle
        attached to it (외국인은) neither hides the word nor counts twice."""
        base = query_tokens(text, lang)
        if lang in ("ja", "ja-easy") and kana_written(text):
            base = self._kana_words(text, base)
        ko_word = {}
        if lang == "ko":
            for w in tp.HANGUL_WORD_RE.findall(tp.fold(text)):
                for g in tp.bigrams(w):
                    ko_word.setdefault(g, w)
        zh_skip = self._zh_boundary_grams(base) if lang == "zh" else set()
        vi_skip, vi_in_word = self._vi_words(base) if lang == "vi" else (set(), set())
        terms: list[tuple[str, float, str | None]] = []
        seen = set()
        for t in base:
            if t in seen:
                continue
            seen.add(t)
            if (lang == "zh" and tp.CJK_RE.match(t) and (len(t) == 1 or t in zh_skip)) or t in vi_skip \
                    or t in vi_in_word:
                terms.append((t, 0.5, None))
                continue
            terms.append((t, 1.0, ko_word.get(t, t)))
            for s in self._synonyms.get(t, []):
                if s not in seen:
                    seen.add(s)
                    terms.append((s, 0.7, t))
            if tp.has_japanese(t):
                for g in tp.synonym_groups(t):
                    for s in self._syn_groups.get(g, ()):
                        if s not in seen:
                            seen.add(s)
                            terms.append((s, SUDACHI_SYN, None if t in self.df else t))
        if lang in LATIN and lang != "en":
            # residents mix in English words (Taglish: "cooperation plan ng Shinjo"): an English word is found in
            # the English text too, as the same word
            stop = tp.EN_STOP | tp.LATIN_STOP.get(lang, set())
            for w in tp.WORD_RE.findall(tp.fold(text)):
                if w in stop or len(w) < 3:
                    continue
                s_en = tp.stem(w, "en")
                if s_en not in seen and s_en in self.df:
                    seen.add(s_en)
                    terms.append((s_en, 0.9, tp.stem(w, lang)))
        if self._phrases and (lang not in ("ja", "ja-easy") or not tp.has_japanese(text)):
            for phrase, toks in self._phrases.match(text):
                if wholes is not None:
                    wholes[phrase] = self._phrases.translations.get(phrase, [])
                for t in toks:
                    if t not in seen:
                        seen.add(t)
                        terms.append((t, 0.8, phrase))
        return terms

    def _kana_words(self, text: str, base: list[str]) -> list[str]:
        """The words of a question written in kana. やさしい日本語 puts spaces between words (しやくしょ の LINE は):
        a word whose reading is one the KB uses is that word (市役所), where the analyser alone would cut it into
        nonsense (し / やく / しょ). Loanwords in hiragana (いんすたぐらむ) are read again in katakana; of those
        readings only words the KB uses count."""
        out: list[str] = []
        for chunk in re.split(r"[\s、。,.!?！？・]+", tp.fold(text)):
            if not chunk:
                continue
            found: list[str] = []
            if all(tp.KANA_RE.match(c) for c in chunk):
                for cand in (chunk, re.sub(KANA_PARTICLES + "$", "", chunk)):
                    found = self._read_words(tp.reading(cand)) if len(cand) >= 2 else []
                    if found:
                        break
            out += found or tp.ja_tokens(chunk)
        out += [t for t in tp.ja_tokens(tp.to_kata(text)) if t in self.df and t not in out]
        return list(dict.fromkeys(out + [t for t in base if not tp.has_japanese(t)]))

    def _reading_word(self, r: str) -> list[str]:
        words = self._by_reading.get(r, [])
        # a two-kana reading (マチ) is a word only where the KB has one word so read; longer ones may be several
        return words if len(r) >= 3 or len(words) == 1 else []

    def _read_words(self, r: str) -> list[str]:
        """The KB's words a reading spells: one word (シヤクシヨ), else two read together (モウシコミ|ケンスウ)."""
        if len(r) < 2:
            return []
        whole = self._reading_word(r)
        if whole:
            return whole
        for i in range(len(r) - 2, 1, -1):
            a, b = self._reading_word(r[:i]), self._reading_word(r[i:])
            if a and b:
                return a + b
        return []

    @staticmethod
    def _boundaries(pairs: list[str], known: set[str], question_words: set[str]) -> set[str]:
        """Pairs of characters (Chinese) or syllables (Vietnamese) in reading order: which are no word. Both write
        words without spaces between them, so pairs include ones across two words (学日 in 学日语). An unknown pair
        next to a known word or a question word is such a boundary; an unknown pair between unknown ones stays a
        word, one the KB lacks (签证), and counts against the answer."""
        skip = {p for p in pairs if p in question_words}
        anchor = known | skip
        for i, p in enumerate(pairs):
            if p not in anchor and any(q in anchor for q in pairs[max(0, i - 1):i] + pairs[i + 1:i + 2]):
                skip.add(p)
        return skip

    def _zh_boundary_grams(self, grams: list[str]) -> set[str]:
        bi = [g for g in grams if len(g) == 2 and all(tp.CJK_RE.match(c) for c in g)]
        known = {g for g in bi if g in self.df or (self._phrases and self._phrases.knows(g))}
        return self._boundaries(bi, known, tp.ZH_QUESTION_WORDS)

    def _vi_words(self, toks: list[str]) -> tuple[set[str], set[str]]:
        """(syllable pairs that are no word, syllables inside a word): a syllable is a concept only on its own."""
        pairs = [t for t in toks if "_" in t]
        known = {p for p in pairs if p in self.df or (self._phrases and self._phrases.knows_words(p.replace("_", " ")))}
        skip = self._boundaries(pairs, known, set())
        return skip, {x for p in pairs if p not in skip for x in p.split("_", 1)}

    def search(self, text: str, lang: str, top: int = 10) -> list[Hit]:
        if not self.entries:
            return []
        wholes: dict[str, list[tuple[str, ...]]] = {}
        terms = self.expand(text, lang, wholes)
        has_ja = tp.has_japanese(text)
        kana_heavy = kana_written(text)
        n = self.n
        fields = np.zeros((len(FIELDS), n), dtype=np.float32)
        concept_mask: dict[str, np.ndarray] = {}
        concept_idf: dict[str, float] = {}
        # a foreign-language question against a KB mostly without text in that language: its ordinary words are
        # unknown for want of text, not because the KB lacks the topic, so they weigh half (see idf)
        foreign = lang not in ("ja", "ja-easy") and not has_ja and self.lang_share.get(lang, 0.0) < 0.5
        # a verb or adverb the KB never uses (やりっぱなし, ちゃんと) is phrasing, not a topic the KB lacks
        phrasing = {t for t in tp.ja_predicates(text) if t not in self.df} if has_ja and lang != "zh" else set()
        # a Korean word is covered when most of its stem's grams are (커뮤니티센터 is not covered by 센터 alone);
        # the grams of its particle or ending only rank
        ko_need: dict[str, set[str]] = {}
        ko_count: dict[str, np.ndarray] = {}
        if lang == "ko":
            for w in tp.HANGUL_WORD_RE.findall(tp.fold(text)):
                stem_grams = set(tp.bigrams(tp.ko_stem(w)))
                if stem_grams and w not in tp.KO_STOP:
                    ko_need[w] = stem_grams
        for tok, w, concept in terms:
            if concept is None:
                post = self.frozen.get(tok)
                if post is not None:
                    fields[:3, post[0]] += (w * self.idf(tok)) * post[1][:3]
                continue
            if w == 1.0:
                weight = self.idf(concept, foreign) * (PHRASING if concept in phrasing else 1.0)
                concept_idf[concept] = max(concept_idf.get(concept, 0.0), weight)
            elif tok in self.df:          # a synonym the KB never uses must not make its concept weigh more
                concept_idf[concept] = max(concept_idf.get(concept, 0.0), self.idf(tok))
            post = self.frozen.get(tok)
            if post is None:
                continue
            ids, sat = post
            fields[:3, ids] += (w * self.idf(tok)) * sat[:3]
            if concept in wholes and w != 1.0:
                continue                   # a translation counts as covered only whole (below)
            if concept in ko_need:
                if tok in ko_need[concept]:
                    cnt = ko_count.get(concept)
                    if cnt is None:
                        cnt = ko_count[concept] = np.zeros(n, dtype=np.int16)
                    cnt[ids] += 1
                continue
            m = concept_mask.get(concept)
            if m is None:
                m = concept_mask[concept] = np.zeros(n, dtype=bool)
            m[ids] = True
        for c, cnt in ko_count.items():
            m = concept_mask[c] = cnt >= math.ceil(len(ko_need[c]) * 2 / 3)
            # its weight is how rare the word is as the entries hold it: 요네자와 alone is rare (요네자와시는,
            # 요네자와의 carry particles) but in every entry
            df = int(m.sum())
            if df:
                concept_idf[c] = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        for phrase, groups in wholes.items():
            if phrase not in concept_idf:           # its words were all another concept's already
                continue
            covered = None
            for g in groups:
                posts = [self.frozen.get(t) for t in g]
                if not posts or any(p is None for p in posts):
                    continue
                m = np.zeros(n, dtype=bool)
                m[posts[0][0]] = True
                for p in posts[1:]:
                    hm = np.zeros(n, dtype=bool)
                    hm[p[0]] = True
                    m &= hm
                covered = m if covered is None else covered | m
            if covered is not None:
                prev = concept_mask.get(phrase)
                concept_mask[phrase] = covered if prev is None else prev | covered
        # readings rank on the whole question; they count as covered words on its content words only: grammar in
        # kana (おしえて ください) is in every question and would make any entry look like the answer
        content = [t for t, w, c in terms if w == 1.0 and tp.has_japanese(t)]
        uniq_r = list(dict.fromkeys(tp.reading_grams(" ".join(content)))) if has_ja and content else []
        r_cov = np.zeros(n, dtype=np.float32)
        for g in (list(dict.fromkeys(tp.reading_grams(text))) if has_ja else []):
            post = self.frozen.get(g)
            if post is None:
                continue
            ids, sat = post
            fields[3, ids] += self.idf(g) * sat[3]
        for g in uniq_r:
            post = self.frozen.get(g)
            if post is not None:
                r_cov[post[0]] += 1
        q = tp.fold(text)
        qsims: dict[int, float] = {}
        if q and self.variants:
            for _v, sc, vi in process.extract(q, self.variants, scorer=fuzz.ratio, limit=20, score_cutoff=40):
                i = self.variant_entry[vi]
                qsims[i] = max(qsims.get(i, 0.0), sc / 100.0)
        # normalise each field by its best score in this query, then combine
        wts = np.asarray([W["q"], W["k"], W["a"], W["r"] * (3.0 if kana_heavy else 1.0)], dtype=np.float32)
        mx = fields.max(axis=1)
        mx[mx == 0] = 1.0
        raw = (fields * (wts / mx)[:, None]).sum(axis=0)
        total_idf = sum(concept_idf.values()) or 1.0
        n_words = len(concept_idf)
        covmass = np.zeros(n, dtype=np.float32)
        for c, m in concept_mask.items():
            covmass[m] += concept_idf[c]
        # a plan number in the question (方策７, 6-2-3, 取組事項17) names its measure exactly
        numbers = set(PLAN_NUMBER_RE.findall(q)) | set(PLAN_WORD_NUMBER_RE.findall(q))
        named = set()
        if numbers:
            qn = q.replace(" ", "")
            named = {i for i, num in self.numbers
                     if re.search(r"(?<![\d\-])" + re.escape(num) + r"(?![\d\-])", qn)}
        k = min(POOL, n)
        best = np.argpartition(-raw, k - 1)[:k] if k < n else np.arange(n)
        pool = [int(i) for i in best if raw[i] > 0] + sorted(named) + list(qsims)
        # meaning, beyond shared words (multilingual e5): a ranking feature only; confidence stays lexical
        z = None
        sims = self.embeddings.similarities(text) if self.embeddings is not None else None
        if sims is not None and len(sims) == n:
            z = (sims - sims.mean()) / (float(sims.std()) or 1.0)
            ke = min(EMB_POOL, n)
            pool += [int(i) for i in np.argpartition(-sims, ke - 1)[:ke]]
        priors = kind_prior(text)
        hits = []
        for i in dict.fromkeys(pool):
            e = self.entries[i]
            cov = float(covmass[i]) / total_idf if concept_idf else 0.0
            if n_words > 4:              # long, chatty questions carry context words no entry needs to hold
                cov = min(1.0, cov * (1 + 0.08 * (n_words - 4)))
            if kana_heavy and uniq_r:
                cov = max(cov, float(r_cov[i]) / len(uniq_r) * 0.9)
            qs = qsims.get(i, 0.0)
            if q and len(q) >= 4 and qs < 0.9 and self.entry_variants[i]:
                # partial_ratio: a short query inside a longer question
                best = max(fuzz.partial_ratio(q, v) for v in self.entry_variants[i][:12]) / 100.0
                qs = max(qs, best * 0.85)
            prior = priors.get(e.kind, 1.0)
            if lang not in ("ja", "ja-easy", "en") and e.body.get(lang):
                prior *= 1.08              # an entry that can answer in the resident's own language
            r = float(raw[i])
            rank = prior * (r + W["qsim"] * qs + W["cov"] * cov + (W["emb"] * float(z[i]) if z is not None else 0.0))
            # question similarity counts only as far as the content words are covered: 「移住の相談はどこ」 is not
            # 「市民活動の相談はどこ」 however alike the phrasing
            conf = min(1.0, prior * (0.6 * cov + 0.4 * max(qs * min(1.0, cov / 0.6),
                                                           cov * min(1.0, r / (W["q"] + W["k"] + W["a"])))))
            if i in named:                     # the question names this measure by its number
                rank += 3.0
                conf = max(conf, 0.9)
            hits.append(Hit(e, rank, conf, cov, qs, n_words))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:top]
