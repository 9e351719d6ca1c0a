"""Approved staff drafts go live: appended to knowledge/<tenant>/faq_staff.yaml, then that tenant is reloaded.

The bot never learns by itself: this runs only after a second staff member approved the draft
(Store.approve_draft).  The file is rewritten atomically (temp file in the same folder + os.replace) under a
lock file, so the file watch and a concurrent approval never see half a record.  Records written earlier,
and any comments staff added by hand, are kept: the new record is appended to the file's text.
"""
from __future__ import annotations

import fcntl
import re
from contextlib import contextmanager
from pathlib import Path

import yaml

from bot.fileio import atomic_write

from bot.kb.schema import Faq

STAFF_FILE = "faq_staff.yaml"
HEADER = ("# Written by the staff approval workflow (/admin/drafts): each record was drafted by one staff member\n"
          "# and approved by another.  Same schema as faq.yaml; `extends: <record id>` adds question variants\n"
          "# to an existing entry.\n")


class DraftError(ValueError):
    """The draft cannot become a knowledge record (invalid fields, unknown entry)."""


def record_id(draft: dict) -> str:
    """Stable per approval, so publishing twice never writes the record twice."""
    stamp = re.sub(r"[^0-9T]", "", str(draft.get("approved_at") or ""))[:15]
    return f"staff-{draft['id']}-{stamp}" if stamp else f"staff-{draft['id']}"


def build_record(draft: dict) -> dict:
    """The YAML record for an approved draft (validated against the FAQ schema)."""
    entry = dict(draft["entry"])
    entry.pop("id", None)
    record = {"id": record_id(draft)}
    if entry.get("extends"):
        record["extends"] = entry["extends"]
        record["questions"] = entry.get("questions") or {}
    else:
        for k in ("topic", "questions", "answer", "sections", "related", "keywords", "source"):
            if entry.get(k):
                record[k] = entry[k]
    record["approved_by"] = draft.get("approved_by")
    record["approved_at"] = draft.get("approved_at")
    try:
        Faq.model_validate(record)
    except Exception as e:
        raise DraftError(f"draft {draft['id']} is not a valid FAQ record: {e}") from e
    if not any(record.get("questions", {}).values()):
        raise DraftError(f"draft {draft['id']} has no question")
    if not record.get("extends") and not record.get("answer", {}).get("ja"):
        raise DraftError(f"draft {draft['id']} has no Japanese answer")
    return record


@contextmanager
def _locked(folder: Path):
    with open(folder / f".{STAFF_FILE}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ids_in(text: str) -> set[str]:
    data = yaml.safe_load(text) if text.strip() else []
    if data is None:
        return set()
    if not isinstance(data, list):
        raise DraftError(f"{STAFF_FILE} does not hold a list of records; fix it by hand first")
    return {str(r.get("id")) for r in data if isinstance(r, dict)}


def write_record(folder: Path, record: dict) -> bool:
    """Append one record to folder/faq_staff.yaml atomically; False when a record with its id is already there."""
    path = folder / STAFF_FILE
    with _locked(folder):
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        if record["id"] in _ids_in(old):
            return False
        chunk = yaml.safe_dump([record], allow_unicode=True, sort_keys=False, width=1000)
        if not old.strip():
            old = HEADER
        new = old if old.endswith("\n") else old + "\n"
        new += chunk
        _ids_in(new)                      # the result must still parse as a list before it replaces the file
        with atomic_write(path) as f:
            f.write(new)
    return True


def is_published(kb, draft: dict) -> bool:
    tkb = kb.get(draft["tenant"])
    if tkb is None:
        return False
    path = Path(tkb.tenant.path) / STAFF_FILE
    if not path.is_file():
        return False
    with _locked(path.parent):
        return record_id(draft) in _ids_in(path.read_text(encoding="utf-8"))


def publish(kb, draft: dict) -> dict:
    """Write an approved draft to its tenant's faq_staff.yaml and reload that tenant; returns the record."""
    if draft.get("status") != "approved":
        raise DraftError(f"draft {draft['id']} is not approved")
    tkb = kb.get(draft["tenant"])
    if tkb is None:
        raise DraftError(f"unknown tenant {draft['tenant']!r}")
    record = build_record(draft)
    if record.get("extends"):
        target = record["extends"]
        if f"{draft['tenant']}/{target}" not in tkb.by_id:
            raise DraftError(f"entry {target!r} does not exist in {draft['tenant']!r}")
    write_record(Path(tkb.tenant.path), record)
    kb.reload(draft["tenant"])
    return record
