"""`madoguchi kb stamp`: record, for each translation, the hash of the source text it was made from.

Run it after a person has reviewed the translations; lint then lists translations whose source changes later.
It rewrites only the `source_sha` values, line by line, so comments and layout in the YAML stay as staff wrote them.
"""
from __future__ import annotations

from bot.kb.lint import _texts, source_sha
from bot.kb.loader import discover, load_tenant, read_yaml

FILES = {"measures.yaml": ("title", "summary"), "programs.yaml": ("name", "for", "summary"), "faq.yaml": ("answer",)}


def stamp(tenant: str | None = None) -> int:
    import yaml
    n = 0
    for tid, path in discover().items():
        if tenant and tid != tenant:
            continue
        for fname, fields in FILES.items():
            f = path / fname
            if not f.is_file():
                continue
            data = read_yaml(f) or []
            changed = False
            for rec in data:
                review = rec.get("review") or {}
                for lang, r in review.items():
                    src_lang = r.get("from", "en")
                    src = "\n".join((rec.get(fl) or {}).get(src_lang, "") for fl in fields if isinstance(rec.get(fl), dict))
                    sha = source_sha(src)
                    if r.get("source_sha") != sha:
                        r["source_sha"] = sha
                        changed = True
                        n += 1
            if changed:
                f.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return n
