"""Translation files: ``<city>/translations/<lang>.yaml`` lays one language over the city's records.

A translator (or the person who reviews a translation) works on one file per language instead of inside the plan data,
and the plan files stay readable for the staff who keep them. A big language may be split into ``<lang>-1.yaml``,
``<lang>-2.yaml``, …::

    language: pt
    from: en              # the language translated from (default for every record)
    reviewed: false       # whether a person checked it (default for every record)
    records:
      faq:f-move:         # <kind>:<record id>; kinds: faq, program, measure, target, section, term
        questions: [Posso me mudar para Katori?]
        answer: …
        reviewed: true    # optional, per record
        source_sha: 3f2a9c1e   # written by `madoguchi kb stamp`

A text already written in the record itself wins over the file. Unknown keys, kinds and fields are reported as errors
(and skipped), never crash the load.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.kb.schema import Review
from bot.languages import LANGUAGES

FOLDER = "translations"
FILE_RE = re.compile(r"^([a-z]{2}(?:-easy)?)(?:-\d+)?\.yaml$")
# kind -> {field in the file: attribute of the record}; "questions" (FAQ) is a list, every other field a text
FIELDS = {
    "faq": {"questions": "questions", "answer": "answer"},
    "program": {"name": "name", "for": "for_", "summary": "summary"},
    "measure": {"title": "title", "summary": "summary"},
    "target": {"name": "name", "description": "description"},
    "section": {"name": "name", "duties": "duties"},
    "term": {"explanation": "explanation"},
}
# the source fields a translation follows, per kind (lint compares their hash; `kb stamp` records it)
SOURCE_FIELDS = {"faq": ("answer",), "program": ("name", "for_", "summary"), "measure": ("title", "summary"),
                 "target": ("name", "description"), "section": ("name", "duties"), "term": ("explanation",)}
META = {"reviewed", "source_sha", "from", "reviewer"}


def source_text(rec, kind: str, lang: str) -> str:
    """The text in ``lang`` that a translation of this record follows: what lint hashes and `kb stamp` records."""
    texts = [getattr(rec, f, None) for f in SOURCE_FIELDS[kind]]
    return "\n".join(v.get(lang, "") for v in texts if isinstance(v, dict) and v)


def files(tenant_path: Path) -> list[Path]:
    d = tenant_path / FOLDER
    return sorted(p for p in d.glob("*.yaml") if FILE_RE.match(p.name)) if d.is_dir() else []


def records_by_key(tenant) -> dict[str, object]:
    out: dict[str, object] = {}
    for m in tenant.measures:
        out[f"measure:{m.id}"] = m
        for tg in m.targets:
            out[f"target:{tg.id}"] = tg
    out.update({f"program:{p.id}": p for p in tenant.programs})
    out.update({f"faq:{f.id}": f for f in tenant.faq})
    out.update({f"section:{s.id}": s for s in tenant.sections})
    out.update({f"term:{g.id}": g for g in tenant.glossary})
    return out


def apply(tenant, problem) -> None:
    """Lay every translation file of the tenant over its records. ``problem(level, file, record, message)``."""
    paths = files(tenant.path)
    if not paths:
        return
    recs = records_by_key(tenant)
    for path in paths:
        rel = f"{FOLDER}/{path.name}"
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as e:
            problem("error", rel, "", f"YAML syntax: {e}")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("records"), dict):
            problem("error", rel, "", "the file must hold `language` and a mapping `records`")
            continue
        named = FILE_RE.match(path.name).group(1)
        lang = str(data.get("language") or named)
        if lang not in LANGUAGES or lang in ("ja", "ja-easy"):
            problem("error", rel, "", f"language {lang!r} is not a translation language")
            continue
        if named != lang:
            problem("error", rel, "", f"the file name does not match its language {lang!r}")
            continue
        default_from, default_reviewed = str(data.get("from") or "en"), bool(data.get("reviewed", False))
        for key, fields in data["records"].items():
            kind = str(key).split(":", 1)[0]
            rec = recs.get(str(key))
            if rec is None or kind not in FIELDS:
                problem("error", rel, str(key), "no such record (expected <kind>:<id> of this city)")
                continue
            if not isinstance(fields, dict):
                problem("error", rel, str(key), "a record must be a mapping of fields")
                continue
            bad = [f for f in fields if f not in FIELDS[kind] and f not in META]
            if bad:
                problem("error", rel, str(key), f"unknown field(s) {', '.join(map(str, bad))} for a {kind}")
            used = False
            for f, attr in FIELDS[kind].items():
                v = fields.get(f)
                if not v:
                    continue
                target = getattr(rec, attr)
                if f == "questions":
                    qs = [str(q).strip() for q in (v if isinstance(v, list) else [v]) if str(q).strip()]
                    if qs and lang not in target:
                        target[lang] = qs
                        used = True
                elif lang not in target:
                    target[lang] = str(v).strip()
                    used = True
            if used and lang not in rec.review:
                try:
                    rec.review[lang] = Review.model_validate({
                        "reviewed": bool(fields.get("reviewed", default_reviewed)),
                        "from": str(fields.get("from") or default_from),
                        "source_sha": fields.get("source_sha") or None,
                        "reviewer": fields.get("reviewer") or None})
                except ValueError as e:
                    problem("error", rel, str(key), f"review fields: {e}")
                    continue
                tenant.translation_files[(str(key), lang)] = rel


def stamp_text(text: str, wanted: dict[str, str]) -> tuple[str, int]:
    """The file's text with ``source_sha`` set under each record key of ``wanted``; and how many changed.

    Line by line (records at two spaces, their fields at four), so the translator's comments and layout stay."""
    lines = text.split("\n")
    out, n, i = [], 0, 0
    key_re = re.compile(r"^  ([a-z]+:[^\s:][^:]*):\s*$")
    while i < len(lines):
        line = lines[i]
        m = key_re.match(line)
        out.append(line)
        i += 1
        if not m or m.group(1) not in wanted:
            continue
        sha = wanted[m.group(1)]
        j = i
        body = []
        while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
            body.append(lines[j])
            j += 1
        while body and not body[-1].strip():            # blank lines after the record stay after it
            body.pop()
            j -= 1
        old = [b for b in body if re.match(r"^    source_sha:", b)]
        if not old or old[0].strip() != f'source_sha: "{sha}"':
            n += 1
        # quoted: a hash of digits only (01474903) would read back as a number
        out += [b for b in body if not re.match(r"^    source_sha:", b)] + [f'    source_sha: "{sha}"']
        i = j
    return "\n".join(out), n
