"""Read tenant folders from MADOGUCHI_KNOWLEDGE_PATH into validated objects."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.kb import translations
from bot.kb.schema import City, Faq, Measure, Program, Section, Term

try:                                        # the C loader is ~10x faster on the large files
    _Loader = yaml.CSafeLoader
except AttributeError:                      # pragma: no cover
    _Loader = yaml.SafeLoader

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
COMMON = "_common"

# file name -> (model, attribute on Tenant)
LIST_FILES = {
    "sections.yaml": (Section, "sections"),
    "measures.yaml": (Measure, "measures"),
    "programs.yaml": (Program, "programs"),
    "faq.yaml": (Faq, "faq"),
    "faq_staff.yaml": (Faq, "faq"),          # written by the staff approval workflow (/admin)
    "glossary.yaml": (Term, "glossary"),
}


@dataclass
class Problem:
    level: str          # "error" | "warning" | "todo"
    file: str
    record: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.record}]" if self.record else "")
        return f"{self.level}: {where}: {self.message}"


@dataclass
class Tenant:
    id: str
    path: Path
    city: City
    sections: list[Section] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    programs: list[Program] = field(default_factory=list)
    faq: list[Faq] = field(default_factory=list)
    glossary: list[Term] = field(default_factory=list)
    readings: dict[str, str] = field(default_factory=dict)
    extra_questions: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # entry id -> variants
    translation_files: dict[tuple[str, str], str] = field(default_factory=dict)    # (kind:id, lang) -> file
    resident_questions: dict[str, list[str]] = field(default_factory=dict)    # kind:id -> questions (questions.yaml)
    problems: list[Problem] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return self.city.imported

    def section(self, sid: str) -> Section | None:
        return self.section_index.get(sid)

    @property
    def section_index(self) -> dict[str, Section]:
        idx = self.__dict__.get("_section_index")
        if idx is None:
            idx = self.__dict__["_section_index"] = {s.id: s for s in self.sections}
        return idx


def knowledge_roots() -> list[Path]:
    raw = os.environ.get("MADOGUCHI_KNOWLEDGE_PATH", "")
    roots = [Path(p) for p in raw.split(":") if p.strip()] if raw else [REPO_KNOWLEDGE]
    return roots


def discover(roots: list[Path] | None = None) -> dict[str, Path]:
    """Tenant id -> folder, in path order; the first root wins on a name clash."""
    found: dict[str, Path] = {}
    for root in roots or knowledge_roots():
        if (root / "city.yaml").is_file():           # a root may itself be one tenant folder
            found.setdefault(root.name, root)
            continue
        if not root.is_dir():
            continue
        for d in sorted(root.iterdir()):
            if d.name.startswith((".", "_")) or not (d / "city.yaml").is_file():
                continue
            found.setdefault(d.name, d)
    return found


def read_yaml(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_Loader)


def _fmt(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def load_tenant(path: Path, tenant_id: str | None = None) -> Tenant:
    """Load one folder; invalid records are reported in tenant.problems and left out, never crash the service."""
    tid = tenant_id or path.name
    problems: list[Problem] = []
    try:
        city = City.model_validate(read_yaml(path / "city.yaml") or {})
    except (ValidationError, yaml.YAMLError, OSError) as e:
        msg = _fmt(e) if isinstance(e, ValidationError) else str(e)
        problems.append(Problem("error", "city.yaml", "", msg))
        city = City(id=tid, name={"ja": tid})
    tenant = Tenant(id=tid, path=path, city=city, problems=problems)
    for fname, (model, attr) in LIST_FILES.items():
        fpath = path / fname
        if not fpath.is_file():
            continue
        try:
            data = read_yaml(fpath) or []
        except yaml.YAMLError as e:
            problems.append(Problem("error", fname, "", f"YAML syntax: {e}"))
            continue
        if not isinstance(data, list):
            problems.append(Problem("error", fname, "", "the file must hold a list of records"))
            continue
        items = getattr(tenant, attr) if fname == "faq_staff.yaml" else []
        for i, raw in enumerate(data):
            rid = raw.get("id", f"#{i + 1}") if isinstance(raw, dict) else f"#{i + 1}"
            try:
                items.append(model.model_validate(raw))
            except ValidationError as e:
                problems.append(Problem("error", fname, str(rid), _fmt(e)))
        setattr(tenant, attr, items)
    # staff additions (`extends`) add question variants to the record they name, then leave the FAQ list
    plain = []
    for f in tenant.faq:
        if f.extends:
            extra = tenant.extra_questions.setdefault(f.extends, {})
            for lang, qs in f.questions.items():
                extra.setdefault(lang, []).extend(qs)
        else:
            plain.append(f)
    tenant.faq = plain
    translations.apply(tenant, lambda level, file, rec, msg: problems.append(Problem(level, file, rec, msg)))
    _resident_questions(tenant, problems)
    rpath = path / "readings.yaml"
    if rpath.is_file():
        try:
            data = read_yaml(rpath) or {}
            tenant.readings = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
            if not isinstance(data, dict):
                problems.append(Problem("error", "readings.yaml", "", "must be a mapping word: reading"))
        except yaml.YAMLError as e:
            problems.append(Problem("error", "readings.yaml", "", f"YAML syntax: {e}"))
    return tenant


def _resident_questions(tenant: Tenant, problems: list[Problem]) -> None:
    """questions.yaml: the ways residents ask for a record (<kind>:<id> -> Japanese questions), for matching only."""
    path = tenant.path / "questions.yaml"
    if not path.is_file():
        return
    try:
        data = read_yaml(path) or {}
    except yaml.YAMLError as e:
        problems.append(Problem("error", "questions.yaml", "", f"YAML syntax: {e}"))
        return
    if not isinstance(data, dict):
        problems.append(Problem("error", "questions.yaml", "", "must be a mapping <kind>:<id>: [questions]"))
        return
    known = translations.records_by_key(tenant)
    for key, qs in data.items():
        if str(key) not in known:
            problems.append(Problem("error", "questions.yaml", str(key), "no such record (expected <kind>:<id>)"))
            continue
        qs = [str(q).strip() for q in (qs if isinstance(qs, list) else [qs]) if q and str(q).strip()]
        tenant.resident_questions.setdefault(str(key), []).extend(qs)


def load_common(roots: list[Path] | None = None) -> dict:
    """Shared data (synonyms, messages): from the repository's knowledge/_common, overridable per root."""
    out = {"synonyms": [], "messages": {}, "keyword_translations": {}}
    paths = [REPO_KNOWLEDGE / COMMON] + [r / COMMON for r in (roots or knowledge_roots())]
    seen = set()
    for p in paths:
        p = p.resolve()
        if p in seen or not p.is_dir():
            continue
        seen.add(p)
        for name in ("synonyms.yaml", "keywords.yaml"):     # keywords.yaml: cross-language civic vocabulary
            if not (p / name).is_file():
                continue
            data = read_yaml(p / name) or {}
            out["synonyms"] += data.get("groups", [])
            for k, v in (data.get("translations") or {}).items():
                out["keyword_translations"].setdefault(str(k).lower(), []).extend(v or [])
        if (p / "messages.yaml").is_file():
            for k, v in (read_yaml(p / "messages.yaml") or {}).items():
                out["messages"][k] = {**out["messages"].get(k, {}), **v}
    return out
