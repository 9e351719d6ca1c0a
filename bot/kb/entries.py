"""Turn a tenant's records into searchable, answerable entries with their text in every language they have."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb.loader import Tenant
from bot.kb.schema import Measure, Program, Section, Target, Term


@dataclass
class Entry:
    id: str                                 # "katori/faq:f-move" or "amagasaki/123" for imported FAQs
    kind: str                               # faq | measure | target | program | term | section
    title: dict[str, str]                   # per language
    body: dict[str, str]                    # the answer per language (without contact / source lines)
    questions: dict[str, list[str]] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    target_line: dict[str, str] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    topic: str = "other"
    measure_id: str | None = None           # the 施策 this entry belongs to (広聴: interest per measure)
    number: str = ""                        # the plan's own number of a measure (方策７, 6-2-3)
    parent_measure: str | None = None       # the measure that measure_id belongs to (6-3-2 for 6-3-2-1)
    unreviewed: frozenset[str] = frozenset()  # languages whose text no person has checked yet

    def same_topic(self, other: "Entry") -> bool:
        """Two entries about one measure (the measure, its sub-measure, its targets, its programs): no need to ask
        the resident which one they meant."""
        a, b = self.measure_id, other.measure_id
        if self.id in other.related or other.id in self.related:        # linked by the KB's authors
            return True
        # a glossary term and a record named after it or keyed by it (自主財源 and 自主財源の確保)
        for term, rec in ((self, other), (other, self)):
            name = term.title.get("ja", "") if term.kind == "term" else ""
            if len(name) >= 2 and rec.kind != "term" and (name in rec.title.get("ja", "") or name in rec.keywords):
                return True
        # a section and a record it is in charge of (協議会 and the program it runs)
        if (self.kind == "section" and self.sections and self.sections[0] in other.sections) or \
                (other.kind == "section" and other.sections and other.sections[0] in self.sections):
            return True
        return bool(a and b and (a == b or a == other.parent_measure or b == self.parent_measure))

    def text(self, lang: str) -> str | None:
        return self.body.get(lang)

    def languages(self) -> set[str]:
        return {k for k, v in self.body.items() if v}


def _unreviewed(rec) -> frozenset[str]:
    return frozenset(lang for lang, r in rec.review.items() if not r.reviewed)


def _src(tenant: Tenant, source) -> list[dict]:
    if source is None:
        return []
    docs = {d.id: d.title for d in tenant.city.documents}
    out = {"document": docs.get(source.document, source.document), "section": source.section}
    if source.table:
        out["table"] = source.table
    return [out]


def _join(*parts: str, sep: str = "\n") -> str:
    return sep.join(p for p in parts if p)


def _value(v) -> str:
    if v is None or v.value in ("", None):
        return ""
    return f"{v.value}（{v.year}）" if v.year not in ("", None) else str(v.value)


def _value_en(v) -> str:
    if v is None or v.value in ("", None):
        return ""
    return f"{v.value} ({v.year})" if v.year not in ("", None) else str(v.value)


# Words that frame structured facts (targets, who a program is for) in each translation language; the facts
# themselves (figures, years, Japanese names) are written once and shown as they are.
LABELS = {  # lang: (target, baseline, milestones, measure, for, targets)
    "en": ("Target", "Baseline", "Milestones", "Measure", "For", "Targets"),
    "zh": ("目标", "现状", "中间目标", "施策", "对象", "目标"),
    "ko": ("목표", "현재", "중간 목표", "시책", "대상", "목표"),
    "vi": ("Mục tiêu", "Hiện tại", "Mốc trung gian", "Biện pháp", "Đối tượng", "Mục tiêu"),
    "tl": ("Target", "Kasalukuyan", "Mga yugto", "Hakbang", "Para kanino", "Mga target"),
    "pt": ("Meta", "Situação atual", "Metas intermediárias", "Medida", "Para quem", "Metas"),
    "ne": ("लक्ष्य", "हालको अवस्था", "बीचका लक्ष्य", "उपाय", "कसका लागि", "लक्ष्यहरू"),
    "id": ("Target", "Kondisi saat ini", "Target antara", "Langkah", "Untuk", "Target"),
}


def target_line(tg: Target) -> dict[str, str]:
    """「目標：30人（令和7年度）」 and its translations: one line for answer cards."""
    if not (tg.target and str(tg.target.value)):
        return {}
    ja = f"目標：{_value(tg.target)}"
    return {"ja": ja, "ja-easy": f"目標(もくひょう)：{_value(tg.target)}", "en": f"Target: {_value_en(tg.target)}"}


def target_text(tg: Target, measure: Measure) -> dict[str, str]:
    name_ja = tg.name.get("ja", "")
    base, goal = _value(tg.baseline), _value(tg.target)
    mid = "、".join(_value(v) for v in tg.interim if _value(v))
    ja = _join(
        f"「{name_ja}」の目標値は{goal}です。" if goal else f"「{name_ja}」は計画の指標です。",
        f"基準値（現状値）は{base}です。" if base else "",
        f"途中の目標：{mid}。" if mid else "",
        f"指標の説明：{tg.description['ja']}" if tg.description.get("ja") else "",
        f"施策：{measure.number} {measure.title.get('ja', '')}".strip(),
    )
    easy_name = tg.name.get("ja-easy") or name_ja
    easy = _join(
        f"「{name_ja}」の目標(もくひょう)は{goal}です。" if goal else f"「{name_ja}」を数(かぞ)えます。",
        f"いまは{base}です。" if base else "",
        easy_name if easy_name != name_ja else "",
        tg.description.get("ja-easy", ""),
    )
    name_en = tg.name.get("en", name_ja)
    en = _join(
        f"Target for \"{name_en}\" ({name_ja}): {_value_en(tg.target)}." if goal else f"Indicator \"{name_en}\" ({name_ja}).",
        f"Baseline: {_value_en(tg.baseline)}." if base else "",
        f"Milestones: {', '.join(_value_en(v) for v in tg.interim if _value_en(v))}." if mid else "",
        tg.description.get("en", ""),
        f"Measure: {measure.title.get('en', measure.title.get('ja', ''))}",
    )
    out = {"ja": ja, "ja-easy": easy, "en": en}
    for lang, nm in tg.name.items():
        if lang in out or not nm:
            continue
        L = LABELS.get(lang, LABELS["en"])
        out[lang] = _join(
            f"{nm} ({name_ja})",
            f"{L[0]}: {_value_en(tg.target)}" if goal else "",
            f"{L[1]}: {_value_en(tg.baseline)}" if base else "",
            f"{L[2]}: {', '.join(_value_en(v) for v in tg.interim if _value_en(v))}" if mid else "",
            tg.description.get(lang, ""),
            f"{L[3]}: {measure.title.get(lang) or measure.title.get('ja', '')}",
        )
    return out


def measure_text(m: Measure) -> dict[str, str]:
    head = f"{m.number} {m.title.get('ja', '')}".strip()
    bullets = lambda label, items: (label + "\n" + "\n".join(f"・{a}" for a in items)) if items else ""
    targets_ja = [f"・{tg.name.get('ja', '')}：{_value(tg.target)}" for tg in m.targets if _value(tg.target)]
    ja = _join(
        f"【{head}】",
        m.summary.get("ja", ""),
        bullets("主な取組：", m.actions),
        bullets("主な事業：", m.projects),
        bullets("市民の役割：", m.residents),
        bullets("事業者・団体の役割：", m.businesses),
        ("目標：\n" + "\n".join(targets_ja)) if targets_ja else "",
    )
    out = {"ja": ja}
    for lang in set(m.title) | set(m.summary):
        if lang == "ja":
            continue
        title = m.title.get(lang) or m.title.get("ja", "")
        tlines = []
        for tg in m.targets:
            if _value(tg.target):
                nm = tg.name.get(lang) or tg.name.get("ja", "")
                tlines.append(f"・{nm}：{_value(tg.target)}" if lang == "ja-easy" else f"- {nm}: {_value_en(tg.target)}")
        label = "目標(もくひょう)：" if lang == "ja-easy" else f"{LABELS.get(lang, LABELS['en'])[5]}:"
        out[lang] = _join(f"【{title}】" if lang == "ja-easy" else title, m.summary.get(lang, ""),
                          (label + "\n" + "\n".join(tlines)) if tlines and label else "")
    return out


def program_text(p: Program) -> dict[str, str]:
    out = {}
    for lang in set(p.name) | set(p.summary):
        name = p.name.get(lang) or p.name.get("ja", "")
        who = p.for_.get(lang, "")
        if lang == "ja":
            out[lang] = _join(f"【{name}】", p.summary.get("ja", ""), f"対象：{who}" if who else "")
        elif lang == "ja-easy":
            out[lang] = _join(f"【{p.name.get('ja', name)}】", p.summary.get(lang, ""), f"だれが つかえる：{who}" if who else "")
        else:
            ja_name = p.name.get("ja", "")
            head = f"{name} ({ja_name})" if ja_name and ja_name not in name else name
            out[lang] = _join(head, p.summary.get(lang, ""), f"{LABELS.get(lang, LABELS['en'])[4]}: {who}" if who else "")
    return out


def term_text(g: Term) -> dict[str, str]:
    out = {}
    for lang, ex in g.explanation.items():
        head = f"{g.term}（{g.reading}）" if g.reading and lang in ("ja", "ja-easy") else g.term
        out[lang] = _join(f"【{head}】" if lang in ("ja", "ja-easy") else f"{g.term}:", ex)
    return out


def section_text(s: Section) -> dict[str, str]:
    out = {}
    for lang in set(s.name) | set(s.duties):
        name = s.name.get(lang) or s.name.get("ja", "")
        duty = s.duties.get(lang, "")
        if lang == "ja":
            out[lang] = _join(f"{name}の主な担当：{duty}" if duty else f"{name}")
        elif lang == "ja-easy":
            out[lang] = _join(f"{s.name.get('ja', name)}が しごとを します。", duty)
        else:
            ja = s.name.get("ja", "")
            out[lang] = _join(f"{name} ({ja})" if ja and ja not in name else name, duty)
    return out


def build_entries(t: Tenant) -> list[Entry]:
    tid = t.id
    entries: list[Entry] = []
    if t.imported:
        for f in t.faq:
            entries.append(Entry(id=f"{tid}/{f.id}", kind="faq", title={"ja": (f.questions.get("ja") or [f.id])[0]},
                                 body=dict(f.answer), questions=f.questions, keywords=f.keywords,
                                 sections=f.sections, sources=_src(t, f.source), topic=f.topic))
        for e in entries:
            for lang, qs in t.extra_questions.get(e.id.split("/", 1)[1], {}).items():
                e.questions[lang] = list(e.questions.get(lang, [])) + qs
        return entries
    measure_of = {m.id: m for m in t.measures}
    parent_of = lambda mid: measure_of[mid].parent if mid in measure_of else None
    for m in t.measures:
        mid = m.id
        e = Entry(id=f"{tid}/measure:{m.id}", kind="measure", title=dict(m.title), body=measure_text(m),
                  questions={}, keywords=list(m.keywords) + m.actions + m.projects + ([str(m.number)] if m.number else []),
                  sections=m.sections, sources=_src(t, m.source), measure_id=mid, number=str(m.number or ""),
                  parent_measure=m.parent, unreviewed=_unreviewed(m))
        if m.targets:
            e.target_line = target_line(m.targets[0])
        entries.append(e)
        for tg in m.targets:
            entries.append(Entry(
                id=f"{tid}/target:{tg.id}", kind="target", title=dict(tg.name), body=target_text(tg, m),
                keywords=list(tg.keywords) + [tg.description.get("ja", ""), m.title.get("ja", ""), "目標", "指標"],
                sections=tg.sections or m.sections, sources=_src(t, tg.source or m.source),
                target_line=target_line(tg), measure_id=mid, parent_measure=m.parent, unreviewed=_unreviewed(tg)))
    for p in t.programs:
        entries.append(Entry(id=f"{tid}/program:{p.id}", kind="program", title=dict(p.name), body=program_text(p),
                             keywords=list(p.keywords), sections=p.sections, sources=_src(t, p.source),
                             related=[f"{tid}/measure:{x}" for x in p.measures],
                             measure_id=p.measures[0] if p.measures else None,
                             parent_measure=parent_of(p.measures[0]) if p.measures else None,
                             unreviewed=_unreviewed(p)))
    for f in t.faq:
        mids = [r for r in f.related if r in measure_of]
        entries.append(Entry(id=f"{tid}/faq:{f.id}", kind="faq",
                             title={lang: qs[0] for lang, qs in f.questions.items() if qs},
                             body=dict(f.answer), questions=f.questions, keywords=list(f.keywords),
                             sections=f.sections, sources=_src(t, f.source), topic=f.topic,
                             related=f.related, measure_id=mids[0] if mids else None,
                             parent_measure=parent_of(mids[0]) if mids else None, unreviewed=_unreviewed(f)))
    for g in t.glossary:
        entries.append(Entry(id=f"{tid}/term:{g.id}", kind="term",
                             title={"ja": g.term, **{k: f"{g.term}" for k in g.explanation if k != "ja"}},
                             body=term_text(g), keywords=[g.term, g.reading] + list(g.keywords),
                             sources=_src(t, g.source), unreviewed=_unreviewed(g)))
    for s in t.sections:
        if not s.duties:
            continue
        entries.append(Entry(id=f"{tid}/section:{s.id}", kind="section", title=dict(s.name), body=section_text(s),
                             keywords=[s.name.get("ja", ""), s.reading] + list(s.keywords), sections=[s.id],
                             sources=_src(t, s.source), unreviewed=_unreviewed(s)))
    for e in entries:
        # how residents ask for a record (questions.yaml): their words join the keywords. As question variants they
        # made sibling records (a program, its measure, its FAQ) tie and ask back more often (measured on the
        # team's and the held-out sets: abstention +2 points, accuracy even, as keywords).
        qs = t.resident_questions.get(e.id.split("/", 1)[1])
        if qs:
            e.keywords = list(e.keywords) + list(qs)
    for e in entries:                       # staff-approved question variants (faq_staff.yaml `extends`)
        rid = e.id.split("/", 1)[1]
        for key in (rid, rid.split(":", 1)[-1]):
            for lang, qs in t.extra_questions.get(key, {}).items():
                e.questions.setdefault(lang, [])
                e.questions[lang] = e.questions[lang] + [q for q in qs if q not in e.questions[lang]]
    # related ids given as bare record ids become entry ids
    known = {e.id.split("/", 1)[1].split(":", 1)[1]: e.id for e in entries}
    for e in entries:
        e.related = [known.get(r, r) for r in e.related]
    return entries
