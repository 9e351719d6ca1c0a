"""CSV import and export of FAQ entries, in files Excel opens correctly (UTF-8 with BOM; CP932 on request).

Import checks every row first and writes nothing when any row is bad, naming each bad row's line and reason.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import yaml

from bot.fileio import atomic_write

from bot.kb.loader import Tenant
from bot.languages import LANGUAGES

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")
BREAK = "＜改＞"                 # LocalGovFAQ's marker of a line break in the original


class ImportError_(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _read_text(path: Path, encoding: str | None) -> str:
    raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding)
    for enc in ("utf-8-sig", "cp932"):           # Excel on Japanese Windows saves CP932 by default
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ImportError_(["the file is neither UTF-8 nor CP932 (Shift_JIS) text"])


def parse_csv(path: Path, encoding: str | None = None) -> list[dict]:
    """Rows as FAQ records; raises ImportError_ listing every bad row (line numbers as a spreadsheet shows them)."""
    text = _read_text(Path(path), encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportError_(["line 1: the file is empty"])
    missing = [c for c in ("id", "question", "answer") if c not in header]
    if missing:
        raise ImportError_([f"line 1: missing column(s) {', '.join(missing)} (need id,question,answer)"])
    col = {h: i for i, h in enumerate(header)}
    problems, records, seen = [], [], {}
    line = 1
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(f"line {line}: {len(row)} columns, expected {len(header)}")
            continue
        get = lambda c: row[col[c]].strip() if c in col else ""
        rid, q, a = get("id"), get("question"), get("answer")
        why = []
        if not rid:
            why.append("empty id")
        elif not ID_RE.match(rid):
            why.append(f"id {rid!r} may only hold letters, digits, '.', '_' and '-'")
        elif rid in seen:
            why.append(f"id {rid!r} already used on line {seen[rid]}")
        if not q:
            why.append("empty question")
        if not a:
            why.append("empty answer")
        if why:
            problems.append(f"line {line}: " + "; ".join(why))
            continue
        seen[rid] = line
        rec = {"id": rid, "questions": {"ja": [q.replace(BREAK, "\n")]}, "answer": {"ja": a.replace(BREAK, "\n")}}
        for lang in LANGUAGES:           # optional columns question_en, answer_en, …
            if lang == "ja":
                continue
            qa, aa = get(f"question_{lang}"), get(f"answer_{lang}")
            if qa:
                rec["questions"][lang] = [x.strip() for x in qa.split("|") if x.strip()]
            if aa:
                rec["answer"][lang] = aa
        extra_q = get("variants")
        if extra_q:
            rec["questions"]["ja"] += [x.strip() for x in extra_q.split("|") if x.strip()]
        if get("section"):
            rec["sections"] = [get("section")]
        if get("keywords"):
            rec["keywords"] = [x.strip() for x in get("keywords").split("|") if x.strip()]
        if get("topic"):
            rec["topic"] = get("topic")
        rec["source"] = {"document": "import", "section": f"{Path(path).name} line {line}"}
        records.append(rec)
    if problems:
        raise ImportError_(problems)
    return records


def import_csv(tenant: str, into: Path, csv_path: Path, encoding: str | None = None) -> int:
    """Write `into/<tenant>/` (city.yaml + faq.yaml) from the CSV; nothing is written when any row is bad."""
    if not TENANT_RE.match(tenant):
        raise ImportError_([f"tenant {tenant!r}: use lower-case letters, digits, '-' and '_'"])
    records = parse_csv(csv_path, encoding)
    folder = Path(into) / tenant
    folder.mkdir(parents=True, exist_ok=True)
    city = {"id": tenant, "name": {"ja": tenant}, "languages": ["ja"], "imported": True,
            "documents": [{"id": "import", "title": Path(csv_path).name}]}
    if (folder / "city.yaml").is_file():          # keep a city's own names when re-importing
        city = yaml.safe_load((folder / "city.yaml").read_text(encoding="utf-8")) or city
    with atomic_write(folder / "city.yaml") as f:         # a running service never reads half a file
        f.write(yaml.safe_dump(city, allow_unicode=True, sort_keys=False))
    with atomic_write(folder / "faq.yaml") as f:
        f.write(yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=120))
    return len(records)


def export_rows(t: Tenant) -> list[dict]:
    rows = []
    for f in t.faq:
        row = {"id": f.id, "question": (f.questions.get("ja") or [""])[0], "answer": f.answer.get("ja", ""),
               "variants": "|".join((f.questions.get("ja") or [])[1:]),
               "section": (f.sections or [""])[0], "keywords": "|".join(f.keywords), "topic": f.topic}
        for lang in LANGUAGES[1:]:
            row[f"question_{lang}"] = "|".join(f.questions.get(lang, []))
            row[f"answer_{lang}"] = f.answer.get(lang, "")
        rows.append(row)
    return rows


def export_csv(t: Tenant, out: Path, encoding: str = "utf-8-sig") -> int:
    rows = export_rows(t)
    fields = ["id", "question", "answer", "variants", "section", "keywords", "topic"] + \
        [f"{k}_{lang}" for lang in LANGUAGES[1:] for k in ("question", "answer")]
    with open(out, "w", encoding=encoding, errors="replace" if encoding == "cp932" else "strict", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return len(rows)
