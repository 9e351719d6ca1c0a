"""`madoguchi kb stamp`: record, for each translation, the hash of the source text it was made from.

Run it after a person has reviewed the translations; lint then lists translations whose source changes later.
Only the `source_sha` values are written, line by line, so staff's comments and layout stay as they wrote them.
"""
from __future__ import annotations

import re

from bot.fileio import atomic_write
from bot.kb import translations
from bot.kb.lint import source_sha
from bot.kb.loader import discover, load_tenant, read_yaml

# file -> the text fields whose source a translation follows (the same fields lint compares)
FILES = {"measures.yaml": ("title", "summary"), "programs.yaml": ("name", "for", "summary"),
         "faq.yaml": ("answer",), "faq_staff.yaml": ("answer",)}
FLOW = re.compile(r"^(\s+)([a-z-]+):\s*\{(.*)\}\s*$")          #     zh: {reviewed: false, from: en}
BLOCK = re.compile(r"^(\s+)([a-z-]+):\s*$")                     #     zh:
SHA_ITEM = re.compile(r",?\s*source_sha:\s*['\"]?[0-9a-f]*['\"]?")


def _source(rec: dict, fields, lang: str) -> str:
    return "\n".join(str(rec[f].get(lang, "")) for f in fields if isinstance(rec.get(f), dict) and rec[f])


def stamp_text(text: str, records: list, fields) -> tuple[str, int]:
    """The file's text with every review entry's source_sha set; and how many changed."""
    wanted = [{lang: source_sha(_source(rec, fields, (r or {}).get("from", "en")))
               for lang, r in ((rec or {}).get("review") or {}).items()} for rec in records]
    lines = text.split("\n")
    out, n, k, in_review, block_lang = [], 0, -1, False, None
    for i, line in enumerate(lines):
        if line.startswith("- "):                      # a new top-level record
            k += 1
            in_review, block_lang = False, None
        elif line.startswith("  ") and not line.startswith("   ") and line.strip():
            in_review = line.strip() == "review:"      # a key of the record at its own level
            block_lang = None
        if in_review and 0 <= k < len(wanted):
            m = FLOW.match(line)
            if m and m.group(2) in wanted[k]:
                sha = wanted[k][m.group(2)]
                inner = SHA_ITEM.sub("", m.group(3)).strip().rstrip(",")
                new = f"{m.group(1)}{m.group(2)}: {{{inner}, source_sha: \"{sha}\"}}"   # quoted: 01474903 is no number
                n += new != line
                out.append(new)
                continue
            m = BLOCK.match(line)
            if m and m.group(2) in wanted[k] and len(m.group(1)) == 4:
                block_lang = m.group(2)
                out.append(line)
                # drop an old source_sha line of this block; write the new one at the block's end
                j = i + 1
                body = []
                while j < len(lines) and lines[j].startswith(" " * 6) and lines[j].strip():
                    body.append(lines[j])
                    j += 1
                sha = wanted[k][block_lang]
                old = [b for b in body if b.strip().startswith("source_sha:")]
                if not old or old[0].strip() != f'source_sha: "{sha}"':
                    n += 1
                lines[i + 1:j] = [b for b in body if not b.strip().startswith("source_sha:")] + \
                    [" " * 6 + f'source_sha: "{sha}"']
                continue
        out.append(line)
    return "\n".join(out), n


def _stamp_translation_files(tid: str, path) -> int:
    """source_sha for each record of the tenant's translation files (the same text lint compares)."""
    t = load_tenant(path, tid)
    recs = translations.records_by_key(t)
    n = 0
    for f in translations.files(path):
        data = read_yaml(f) or {}
        if not isinstance(data, dict) or not isinstance(data.get("records"), dict):
            continue                                      # lint reports the broken file
        default_from = str(data.get("from") or "en")
        wanted = {}
        for key, fields in data["records"].items():
            rec = recs.get(str(key))
            if rec is None or not isinstance(fields, dict):
                continue
            kind = str(key).split(":", 1)[0]
            wanted[str(key)] = source_sha(translations.source_text(rec, kind, str(fields.get("from") or default_from)))
        text, changed = translations.stamp_text(f.read_text(encoding="utf-8"), wanted)
        if changed:
            with atomic_write(f) as out:
                out.write(text)
            n += changed
    return n


def stamp(tenant: str | None = None) -> int:
    n = 0
    for tid, path in discover().items():
        if tenant and tid != tenant:
            continue
        n += _stamp_translation_files(tid, path)
        for fname, fields in FILES.items():
            f = path / fname
            if not f.is_file():
                continue
            records = read_yaml(f) or []
            text, changed = stamp_text(f.read_text(encoding="utf-8"), records, fields)
            if changed:
                with atomic_write(f) as out:
                    out.write(text)
                n += changed
    return n
