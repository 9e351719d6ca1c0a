"""`madoguchi kb stats`: counts per tenant and language."""
from __future__ import annotations

from collections import Counter

from bot.kb.loader import discover, load_tenant
from bot.languages import LANGUAGES


def stats(tenant: str | None = None) -> dict:
    out = {}
    for tid, path in discover().items():
        if tenant and tid != tenant:
            continue
        t = load_tenant(path, tid)
        langs: Counter = Counter()
        qlangs: Counter = Counter()
        for f in t.faq:
            langs.update(k for k, v in f.answer.items() if v)
            for k, v in f.questions.items():
                qlangs[k] += len(v)
        for m in t.measures:
            langs.update(k for k, v in m.summary.items() if v)
        for p in t.programs:
            langs.update(k for k, v in p.summary.items() if v)
        levels = Counter(m.level or "?" for m in t.measures)
        out[tid] = {
            "imported": t.imported,
            "sections": len(t.sections),
            "measures": len(t.measures),
            "targets": sum(len(m.targets) for m in t.measures),
            "programs": len(t.programs),
            "faq": len(t.faq),
            "glossary": len(t.glossary),
            "readings": len(t.readings),
            "question_variants": sum(qlangs.values()),
            "measures_by_level": dict(levels),
            "texts_by_language": {l: langs[l] for l in LANGUAGES if langs[l]},
            "question_variants_by_language": {l: qlangs[l] for l in LANGUAGES if qlangs[l]},
        }
    return out
