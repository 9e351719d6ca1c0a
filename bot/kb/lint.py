"""`madoguchi kb lint`: what a city's staff must fix (errors), should look at (warnings) and fill in (to-do)."""
from __future__ import annotations

import argparse
import hashlib
import sys
import unicodedata

from bot.kb.loader import Problem, Tenant, discover, load_tenant
from bot.kb import translations
from bot.languages import REQUIRED


UNREVIEWED = " not yet reviewed by a person"


def source_sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _norm_q(q: str) -> str:
    return "".join(unicodedata.normalize("NFKC", q).lower().split()).rstrip("?？。.!！")


def _texts(record, *fields):
    for f in fields:
        v = getattr(record, f, None)
        if isinstance(v, dict) and v:
            yield f, v


def allowlist(t: Tenant) -> set[str]:
    """The municipal allowlist of the plain-Japanese word rules: the city's, sections' and programs' names, and the
    plan terms the glossary explains in plain words (a reader can always ask what one means). Curated readings
    alone do not make a word plain."""
    names = {t.city.name.get("ja", "")}
    names |= {s.name.get("ja", "") for s in t.sections}
    names |= {p.name.get("ja", "") for p in t.programs}
    names |= {g.term for g in t.glossary}
    return {n for n in names if n}


def lint_tenant(t: Tenant, easy_check: bool = True) -> list[Problem]:
    probs = list(t.problems)
    add = lambda level, file, rec, msg: probs.append(Problem(level, file, rec, msg))
    imported = t.imported
    section_ids = {s.id for s in t.sections}
    measure_ids = {m.id for m in t.measures}
    program_ids = {p.id for p in t.programs}
    faq_ids = {f.id for f in t.faq}
    term_ids = {g.id for g in t.glossary}
    target_ids = {tg.id for m in t.measures for tg in m.targets}
    doc_ids = {d.id for d in t.city.documents}
    all_ids = section_ids | measure_ids | program_ids | faq_ids | term_ids | target_ids

    for fname, items in (("sections.yaml", t.sections), ("measures.yaml", t.measures),
                         ("programs.yaml", t.programs), ("faq.yaml", t.faq), ("glossary.yaml", t.glossary)):
        seen = set()
        for it in items:
            if it.id in seen:
                add("error", fname, it.id, "the same id is used twice")
            seen.add(it.id)
    seen_t = set()
    for m in t.measures:
        for tg in m.targets:
            if tg.id in seen_t:
                add("error", "measures.yaml", tg.id, "the same target id is used twice")
            seen_t.add(tg.id)

    def refs(fname, rid, secs, label="sections"):
        for s in secs:
            if s not in section_ids:
                add("error", fname, rid, f"{label}: unknown section id {s!r}")

    def need(fname, rid, text: dict, what: str, langs=REQUIRED):
        for lang in langs:
            if not text.get(lang):
                add("error", fname, rid, f"{what}: missing {lang} text")

    def need_source(fname, rid, src):
        if src is None:
            add("error", fname, rid, "no source: every fact needs {document, section}")
        elif doc_ids and src.document not in doc_ids:
            add("error", fname, rid, f"source document {src.document!r} is not in city.yaml documents")

    def reviews(fname, rec, kind):
        texts = dict(_texts(rec, *translations.SOURCE_FIELDS[kind]))
        langs = {lang for v in texts.values() for lang in v if lang not in REQUIRED}
        if hasattr(rec, "questions"):
            langs |= {lang for lang in rec.questions if lang not in REQUIRED}
        for lang in sorted(langs):
            where = t.translation_files.get((f"{kind}:{rec.id}", lang), fname)   # the file the text came from
            r = rec.review.get(lang)
            if r is None:
                add("error", where, rec.id, f"{lang} translation without a review record (reviewed, from)")
                continue
            if not r.source_sha:
                add("warning", where, rec.id, f"{lang} translation: no record of the source it was made from "
                                              f"(`madoguchi kb stamp`)")
            else:
                if source_sha(translations.source_text(rec, kind, r.from_)) != r.source_sha:
                    add("warning", where, rec.id, f"{lang} translation: its {r.from_} source changed since "
                                                  f"it was made (review it, then `madoguchi kb stamp`)")
            if not r.reviewed:
                add("warning", where, rec.id, f"{lang} translation{UNREVIEWED}")

    req = ("ja",) if imported else REQUIRED
    for s in t.sections:
        need("sections.yaml", s.id, s.name, "name", ("ja",))
        if not imported:
            need("sections.yaml", s.id, s.name, "name", ("en",))
        need_source("sections.yaml", s.id, s.source)
        reviews("sections.yaml", s, "section")
        missing = [f for f in ("phone", "email", "hours", "place", "url") if not getattr(s, f)]
        if missing:
            add("todo", "sections.yaml", s.id, f"{s.name.get('ja', s.id)}: fill in {', '.join(missing)}")
    for m in t.measures:
        need("measures.yaml", m.id, m.title, "title", req)
        need("measures.yaml", m.id, m.summary, "summary", req)
        refs("measures.yaml", m.id, m.sections)
        need_source("measures.yaml", m.id, m.source)
        if m.parent and m.parent not in measure_ids:
            add("error", "measures.yaml", m.id, f"parent {m.parent!r} is not a measure id")
        reviews("measures.yaml", m, "measure")
        for tg in m.targets:
            need("measures.yaml", tg.id, tg.name, "target name", req)
            refs("measures.yaml", tg.id, tg.sections)
            need_source("measures.yaml", tg.id, tg.source or m.source)
            if not (tg.target and str(tg.target.value)):
                add("warning", "measures.yaml", tg.id, "target without a target value")
            reviews("measures.yaml", tg, "target")
    for p in t.programs:
        need("programs.yaml", p.id, p.name, "name", req)
        need("programs.yaml", p.id, p.summary, "summary", req)
        refs("programs.yaml", p.id, p.sections)
        need_source("programs.yaml", p.id, p.source)
        for mid in p.measures:
            if mid not in measure_ids:
                add("error", "programs.yaml", p.id, f"unknown measure id {mid!r}")
        reviews("programs.yaml", p, "program")
    variants: dict[str, str] = {}
    for target, qs in t.extra_questions.items():
        if target not in all_ids:
            add("error", "faq_staff.yaml", target, "extends an id that does not exist")
    for f in t.faq:
        need("faq.yaml", f.id, f.answer, "answer", req)
        if not f.questions.get("ja") and not imported:
            add("error", "faq.yaml", f.id, "no Japanese question variant")
        refs("faq.yaml", f.id, f.sections)
        need_source("faq.yaml", f.id, f.source)
        for r in f.related:
            if r not in all_ids:
                add("error", "faq.yaml", f.id, f"related: unknown id {r!r}")
        for lang, qs in f.questions.items():
            for q in qs:
                key = _norm_q(q)
                if key in variants and variants[key] != f.id:
                    add("error", "faq.yaml", f.id, f"question variant {q!r} is also in entry {variants[key]!r}")
                variants.setdefault(key, f.id)
        reviews("faq.yaml", f, "faq")
    for key, qs in t.resident_questions.items():
        for q in qs:
            k = _norm_q(q)
            if k in variants and variants[k] != key.split(":", 1)[1]:
                add("warning", "questions.yaml", key, f"{q!r} is also a question of {variants[k]!r}: the two will tie")
            variants.setdefault(k, key.split(":", 1)[1])
    for g in t.glossary:
        need("glossary.yaml", g.id, g.explanation, "explanation", req)
        need_source("glossary.yaml", g.id, g.source)
        reviews("glossary.yaml", g, "term")
    c = t.city.contact
    missing = [f for f in ("phone", "email", "hours", "place", "url") if not getattr(c, f)]
    if missing and not imported:
        add("todo", "city.yaml", "contact", f"general contact: fill in {', '.join(missing)}")

    if easy_check and not imported:
        probs += easy_problems(t)
    return probs


def easy_texts(t: Tenant):
    """Every ja-easy text the bot can send for this tenant: (file, record id, text)."""
    for s in t.sections:
        for f, v in _texts(s, "duties"):
            if v.get("ja-easy"):
                yield "sections.yaml", s.id, v["ja-easy"]
    for m in t.measures:
        for f, v in _texts(m, "title", "summary"):
            if v.get("ja-easy"):
                yield "measures.yaml", m.id, v["ja-easy"]
        for tg in m.targets:
            for f, v in _texts(tg, "name", "description"):
                if v.get("ja-easy"):
                    yield "measures.yaml", tg.id, v["ja-easy"]
    for p in t.programs:
        for f, v in _texts(p, "for_", "summary"):
            if v.get("ja-easy"):
                yield "programs.yaml", p.id, v["ja-easy"]
    for q in t.faq:
        if q.answer.get("ja-easy"):
            yield "faq.yaml", q.id, q.answer["ja-easy"]
    for g in t.glossary:
        if g.explanation.get("ja-easy"):
            yield "glossary.yaml", g.id, g.explanation["ja-easy"]


def easy_problems(t: Tenant) -> list[Problem]:
    from bot.easyja import check
    allow = allowlist(t)
    out = []
    for fname, rid, text in easy_texts(t):
        for issue in check(text, allowlist=allow):
            out.append(Problem(issue.level, fname, rid, f"やさしい日本語 {issue.rule}: {issue.message} 「{issue.sentence}」"))
    return out


def run(tenant: str | None = None, show_warnings: bool = True, out=sys.stdout) -> int:
    tenants = discover()
    if tenant:
        if tenant not in tenants:
            print(f"error: unknown tenant {tenant!r} (known: {', '.join(tenants)})", file=out)
            return 2
        tenants = {tenant: tenants[tenant]}
    errors = 0
    for tid, path in tenants.items():
        probs = lint_tenant(load_tenant(path, tid))
        counts = {k: sum(1 for p in probs if p.level == k) for k in ("error", "warning", "todo")}
        errors += counts["error"]
        unreviewed: dict[str, list[str]] = {}
        for p in probs:
            if p.level == "warning" and p.message.endswith(UNREVIEWED):
                unreviewed.setdefault(p.file, []).append(p.record)     # one line per file, not one per record
            elif p.level == "error" or (show_warnings and p.level == "warning"):
                print(f"{tid}: {p}", file=out)
        if show_warnings:
            for fname, recs in unreviewed.items():
                print(f"{tid}: warning: {fname}: {len(recs)} translations{UNREVIEWED} "
                      f"({', '.join(recs[:3])}{', …' if len(recs) > 3 else ''})", file=out)
        todo = [p for p in probs if p.level == "todo"]
        if todo and show_warnings:
            print(f"{tid}: to-do for the city ({len(todo)} records with empty contact fields):", file=out)
            for p in todo:
                print(f"  {p.record}: {p.message}", file=out)
        print(f"{tid}: {counts['error']} errors, {counts['warning']} warnings, {counts['todo']} to-do", file=out)
    return 1 if errors else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="madoguchi kb lint")
    ap.add_argument("--tenant")
    ap.add_argument("--errors-only", action="store_true")
    a = ap.parse_args(argv)
    return run(a.tenant, show_warnings=not a.errors_only)


if __name__ == "__main__":
    sys.exit(main())
