"""Store: every read and write of 広聴 data goes through these methods.

All SQL is static text with "?" parameters; the only composed SQL is the WHERE
clause of list_messages, assembled from the constant fragments in _FILTERS.
Free text from residents (message text, feedback reasons, handoff text) is
passed through privacy.mask() here, so nothing unmasked reaches the database
whichever caller forgets.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import privacy
from . import schema
from .db import _Base

LOCAL_TZ = ZoneInfo("Asia/Tokyo")  # day boundaries for the dashboard

CHANNELS = ("line", "web", "cli")
KINDS = ("answer", "choices", "fallback", "smalltalk", "handoff", "system")
FEEDBACK = ("helpful", "not_helpful")
REVIEW_STATUSES = ("open", "added", "drafted", "dismissed")
ROLES = ("viewer", "editor", "approver")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not a password")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ts(value: datetime | date | str | None) -> str | None:
    """Timestamp text as stored: UTC, ISO-8601, microseconds, 'Z'.

    A date becomes 'YYYY-MM-DD', which sorts before every timestamp of that day,
    so since=date(2026, 5, 1), until=date(2026, 5, 2) means "1 May (UTC)".
    Naive datetimes are taken as UTC.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.isoformat()


def _local_day(created_at: str) -> str:
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LOCAL_TZ).date().isoformat()


def _like_pattern(text: str) -> str:
    """'%' and '_' typed by a user match themselves (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _storable(text: str | None) -> str | None:
    """PostgreSQL refuses NUL in text and UTF-8 encoders refuse lone surrogates: drop / replace them."""
    if text is None:
        return None
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


def _message(row: dict) -> dict:
    row["text_deleted"] = bool(row["text_deleted"])
    return row


def _check(value: Any, allowed: tuple, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {allowed}, not {value!r}")


_MESSAGE_COLUMNS = ("id, created_at, day, tenant, channel, user_key, language, text, kind, entry_id, score, "
                    "reply_ms, event_id, feedback, feedback_reason, review_status, text_deleted")

# Constant WHERE fragments for list_messages/count_messages; values are always parameters.
_FILTERS = {
    "kind": "kind = ?",
    "language": "language = ?",
    "channel": "channel = ?",
    "feedback": "feedback = ?",
    "review_status": "review_status = ?",
    "entry_id": "entry_id = ?",
    "since": "created_at >= ?",
    "until": "created_at < ?",
    "q": "lower(text) LIKE ? ESCAPE '\\'",
}

# One prebuilt query per groupable column: the column name is never taken from input.
_COUNT_BY = {
    field: (f"SELECT {field} AS value, COUNT(*) AS count FROM messages "
            "WHERE tenant = ? AND created_at >= ? AND created_at < ? "
            f"GROUP BY {field} ORDER BY count DESC, value")
    for field in ("language", "kind", "channel")
}

_FAR_PAST, _FAR_FUTURE = "0000", "9999"


class Store:
    def __init__(self, db: _Base, migrate: bool = True) -> None:
        self.db = db
        if migrate:
            schema.migrate(db, ts(utcnow()))

    @property
    def backend(self) -> str:
        return self.db.name

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def schema_version(self) -> int:
        return schema.current_version(self.db)

    # ------------------------------------------------------------------ messages

    def record_message(self, *, tenant: str, channel: str, user_key: str, kind: str, text: str = "",
                       language: str | None = None, entry_id: str | None = None, score: float | None = None,
                       reply_ms: int | None = None, event_id: str | None = None,
                       created_at: datetime | str | None = None, review_status: str | None = None,
                       ) -> tuple[int, bool]:
        """Insert one exchange; returns (id, created).

        A repeated event_id (LINE redelivery, spool replay) returns the existing
        row's id and created=False: the unique index decides, so concurrent
        deliveries cannot both insert.
        """
        _check(channel, CHANNELS, "channel")
        _check(kind, KINDS, "kind")
        if review_status is not None:
            _check(review_status, REVIEW_STATUSES, "review_status")
        created = ts(created_at) or ts(utcnow())
        rows = self.db.query(
            "INSERT INTO messages (created_at, day, tenant, channel, user_key, language, text, kind, entry_id, "
            "score, reply_ms, event_id, review_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (created, _local_day(created), tenant, channel, user_key, language, privacy.mask(_storable(text) or ""), kind,
             entry_id, score, reply_ms, event_id, review_status))
        if rows:
            return rows[0]["id"], True
        if event_id is None:  # cannot happen: only event_id is unique
            raise RuntimeError("insert ignored without an event_id conflict")
        existing = self.db.query("SELECT id FROM messages WHERE event_id = ?", (event_id,))
        return existing[0]["id"], False

    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is claimed, in any process; False for a redelivery."""
        rows = self.db.query("INSERT INTO processed_events (event_id, at) VALUES (?, ?) "
                             "ON CONFLICT DO NOTHING RETURNING event_id", (event_id, ts(utcnow())))
        return bool(rows)

    def get_message(self, message_id: int) -> dict | None:
        rows = self.db.query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        return _message(rows[0]) if rows else None

    def set_feedback(self, message_id: int, value: str | None, reason: str | None = None,
                     user_key: str | None = None) -> bool:
        """Rate a message; only its own user may (user_key must match, None never does).

        Returns False when there is no such message for this user.  value=None clears.
        """
        if value is not None:
            _check(value, FEEDBACK, "feedback")
        if user_key is None:
            return False
        reason = privacy.mask(_storable(reason)) if reason else None
        return self.db.execute(
            "UPDATE messages SET feedback = ?, feedback_reason = ? WHERE id = ? AND user_key = ?",
            (value, reason, message_id, user_key)) == 1

    def last_message_id(self, tenant: str, user_key: str) -> int | None:
        rows = self.db.query(
            "SELECT MAX(id) AS id FROM messages WHERE tenant = ? AND user_key = ?", (tenant, user_key))
        return rows[0]["id"]

    def set_review_status(self, tenant: str, message_id: int, status: str | None, actor: str,
                          detail: dict | None = None) -> bool:
        """Record a staff decision on a question (added to an entry / drafted / dismissed), with its audit row."""
        if status is not None:
            _check(status, REVIEW_STATUSES, "review_status")
        with self.db.transaction() as tx:
            changed = tx.execute("UPDATE messages SET review_status = ? WHERE id = ? AND tenant = ?",
                                 (status, message_id, tenant))
            if changed:
                self._audit(tx, tenant, actor, f"review:{status or 'reset'}",
                            {"message_id": message_id, **(detail or {})})
        return changed == 1

    # ------------------------------------------------------------------ user prefs

    def get_language(self, tenant: str, user_key: str) -> str | None:
        rows = self.db.query("SELECT language FROM user_prefs WHERE tenant = ? AND user_key = ?",
                             (tenant, user_key))
        return rows[0]["language"] if rows else None

    def set_language(self, tenant: str, user_key: str, language: str) -> None:
        self.db.execute(
            "INSERT INTO user_prefs (tenant, user_key, language, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tenant, user_key) DO UPDATE SET language = excluded.language, "
            "updated_at = excluded.updated_at",
            (tenant, user_key, language, ts(utcnow())))

    # ------------------------------------------------------------------ handoffs

    def record_handoff(self, tenant: str, user_key: str, text: str, message_id: int | None = None,
                       section_id: str | None = None) -> int:
        rows = self.db.query(
            "INSERT INTO handoffs (created_at, tenant, user_key, message_id, text, section_id, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'open') RETURNING id",
            (ts(utcnow()), tenant, user_key, message_id, privacy.mask(_storable(text) or ""), section_id))
        return rows[0]["id"]

    def list_handoffs(self, tenant: str, status: str | None = "open", limit: int = 100,
                      offset: int = 0) -> list[dict]:
        if status is None:
            return self.db.query(
                "SELECT * FROM handoffs WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (tenant, limit, offset))
        _check(status, ("open", "done"), "status")
        return self.db.query(
            "SELECT * FROM handoffs WHERE tenant = ? AND status = ? ORDER BY created_at DESC, id DESC "
            "LIMIT ? OFFSET ?", (tenant, status, limit, offset))

    def set_handoff_status(self, tenant: str, handoff_id: int, status: str, actor: str) -> bool:
        _check(status, ("open", "done"), "status")
        with self.db.transaction() as tx:
            changed = tx.execute("UPDATE handoffs SET status = ? WHERE id = ? AND tenant = ?",
                                 (status, handoff_id, tenant))
            if changed:
                self._audit(tx, tenant, actor, f"handoff:{status}", {"handoff_id": handoff_id})
        return changed == 1

    # ------------------------------------------------------------------ staff

    def create_staff(self, username: str, password: str, role: str, tenant: str) -> None:
        _check(role, ROLES, "role")
        if not username or not password:
            raise ValueError("username and password are required")
        if self.db.query("SELECT 1 FROM staff_users WHERE username = ?", (username,)):
            raise ValueError(f"staff user {username!r} exists")
        self.db.execute(
            "INSERT INTO staff_users (username, password_hash, role, tenant, created_at) VALUES (?, ?, ?, ?, ?)",
            (username, _hasher.hash(password), role, tenant, ts(utcnow())))

    def set_staff_password(self, username: str, password: str) -> bool:
        return self.db.execute("UPDATE staff_users SET password_hash = ? WHERE username = ?",
                               (_hasher.hash(password), username)) == 1

    def get_staff(self, username: str) -> dict | None:
        rows = self.db.query("SELECT username, role, tenant FROM staff_users WHERE username = ?", (username,))
        return rows[0] if rows else None

    def verify_staff(self, username: str, password: str) -> dict | None:
        """{'username', 'role', 'tenant'} when the password is right, else None."""
        rows = self.db.query("SELECT username, password_hash, role, tenant FROM staff_users WHERE username = ?",
                             (username,))
        stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        if _hasher.check_needs_rehash(stored):  # parameters were raised since: upgrade quietly
            self.set_staff_password(username, password)
        return {"username": rows[0]["username"], "role": rows[0]["role"], "tenant": rows[0]["tenant"]}

    # ------------------------------------------------------------------ drafts

    def create_draft(self, tenant: str, entry: dict | str, created_by: str,
                     source_message_ids: list[int] | tuple = ()) -> int:
        entry_json = entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False)
        json.loads(entry_json)  # must be valid JSON
        with self.db.transaction() as tx:
            draft_id = tx.query(
                "INSERT INTO drafts (tenant, entry, source_message_ids, created_by, created_at, status) "
                "VALUES (?, ?, ?, ?, ?, 'draft') RETURNING id",
                (tenant, entry_json, json.dumps(list(source_message_ids)), created_by, ts(utcnow())))[0]["id"]
            self._audit(tx, tenant, created_by, "draft:create",
                        {"draft_id": draft_id, "source_message_ids": list(source_message_ids)})
        return draft_id

    def get_draft(self, draft_id: int) -> dict | None:
        rows = self.db.query("SELECT * FROM drafts WHERE id = ?", (draft_id,))
        if not rows:
            return None
        draft = rows[0]
        draft["entry"] = json.loads(draft["entry"])
        draft["source_message_ids"] = json.loads(draft["source_message_ids"])
        return draft

    def list_drafts(self, tenant: str, status: str = "draft", limit: int = 100) -> list[dict]:
        rows = self.db.query("SELECT id FROM drafts WHERE tenant = ? AND status = ? ORDER BY id DESC LIMIT ?",
                             (tenant, status, limit))
        return [self.get_draft(r["id"]) for r in rows]

    def _decide_draft(self, draft_id: int, user: str | dict, status: str) -> dict:
        username = user["username"] if isinstance(user, dict) else user
        # The role comes from the database, not from the caller's session dict.
        staff = self.get_staff(username)
        draft = self.get_draft(draft_id)
        if draft is None:
            raise KeyError(f"no draft {draft_id}")
        if staff is None or staff["role"] != "approver" or staff["tenant"] not in ("*", draft["tenant"]):
            raise PermissionError(f"{username!r} may not approve or reject drafts of {draft['tenant']!r}")
        if status == "approved" and username == draft["created_by"]:
            raise PermissionError("a draft must be approved by someone other than its author")
        with self.db.transaction() as tx:
            changed = tx.execute(
                "UPDATE drafts SET status = ?, approved_by = ?, approved_at = ? WHERE id = ? AND status = 'draft'",
                (status, username, ts(utcnow()), draft_id))
            if not changed:
                raise ValueError(f"draft {draft_id} is already {draft['status']}")
            action = {"approved": "draft:approve", "rejected": "draft:reject"}[status]
            self._audit(tx, draft["tenant"], username, action, {"draft_id": draft_id})
        return self.get_draft(draft_id)

    def approve_draft(self, draft_id: int, user: str | dict) -> dict:
        """Approve as `user` (username or {'username': ...}): role approver, other than the author."""
        return self._decide_draft(draft_id, user, "approved")

    def reject_draft(self, draft_id: int, user: str | dict) -> dict:
        return self._decide_draft(draft_id, user, "rejected")

    # ------------------------------------------------------------------ audit

    @staticmethod
    def _audit(tx, tenant: str, actor: str, action: str, detail: dict | None) -> int:
        return tx.query(
            "INSERT INTO audit_log (at, tenant, actor, action, detail) VALUES (?, ?, ?, ?, ?) RETURNING id",
            (ts(utcnow()), tenant, actor, action, json.dumps(detail or {}, ensure_ascii=False)))[0]["id"]

    def audit(self, tenant: str, actor: str, action: str, detail: dict | None = None) -> int:
        """Record a staff action (decision, download, login ...); detail is JSON-serialisable."""
        return self._audit(self.db, tenant, actor, action, detail)

    def list_audit(self, tenant: str | None = None, action: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[dict]:
        if tenant is None and action is None:
            rows = self.db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))
        elif action is None:
            rows = self.db.query("SELECT * FROM audit_log WHERE tenant = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                                 (tenant, limit, offset))
        elif tenant is None:
            rows = self.db.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                                 (action, limit, offset))
        else:
            rows = self.db.query("SELECT * FROM audit_log WHERE tenant = ? AND action = ? "
                                 "ORDER BY id DESC LIMIT ? OFFSET ?", (tenant, action, limit, offset))
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        return rows

    # ------------------------------------------------------------------ dashboard queries
    # since/until: datetime (UTC if naive), date or stored-format text; until is exclusive.

    def count_by_day(self, tenant: str, since=None, until=None) -> list[dict]:
        """[{'day': 'YYYY-MM-DD' (Asia/Tokyo), 'count': n}] in day order."""
        return self.db.query(
            "SELECT day, COUNT(*) AS count FROM messages WHERE tenant = ? AND created_at >= ? AND created_at < ? "
            "GROUP BY day ORDER BY day", (tenant, ts(since) or _FAR_PAST, ts(until) or _FAR_FUTURE))

    def count_by(self, tenant: str, field: str, since=None, until=None) -> list[dict]:
        """[{'value': ..., 'count': n}] for field in language / kind / channel, most frequent first."""
        _check(field, tuple(_COUNT_BY), "field")
        return self.db.query(_COUNT_BY[field], (tenant, ts(since) or _FAR_PAST, ts(until) or _FAR_FUTURE))

    def helpful_rate(self, tenant: str, since=None, until=None) -> dict:
        """{'helpful', 'not_helpful', 'rated', 'rate'}; rate is None when nothing was rated."""
        row = self.db.query(
            "SELECT COALESCE(SUM(CASE WHEN feedback = 'helpful' THEN 1 ELSE 0 END), 0) AS helpful, "
            "COALESCE(SUM(CASE WHEN feedback = 'not_helpful' THEN 1 ELSE 0 END), 0) AS not_helpful "
            "FROM messages WHERE tenant = ? AND created_at >= ? AND created_at < ?",
            (tenant, ts(since) or _FAR_PAST, ts(until) or _FAR_FUTURE))[0]
        helpful, not_helpful = int(row["helpful"]), int(row["not_helpful"])
        rated = helpful + not_helpful
        return {"helpful": helpful, "not_helpful": not_helpful, "rated": rated,
                "rate": helpful / rated if rated else None}

    def top_entries(self, tenant: str, since=None, until=None, limit: int = 10) -> list[dict]:
        """[{'entry_id', 'count', 'helpful', 'not_helpful'}] for the most answered entries."""
        rows = self.db.query(
            "SELECT entry_id, COUNT(*) AS count, "
            "SUM(CASE WHEN feedback = 'helpful' THEN 1 ELSE 0 END) AS helpful, "
            "SUM(CASE WHEN feedback = 'not_helpful' THEN 1 ELSE 0 END) AS not_helpful "
            "FROM messages WHERE tenant = ? AND created_at >= ? AND created_at < ? AND entry_id IS NOT NULL "
            "GROUP BY entry_id ORDER BY count DESC, entry_id LIMIT ?",
            (tenant, ts(since) or _FAR_PAST, ts(until) or _FAR_FUTURE, limit))
        for row in rows:
            row["helpful"], row["not_helpful"] = int(row["helpful"]), int(row["not_helpful"])
        return rows

    def _where(self, tenant: str, filters: dict) -> tuple[str, list]:
        unknown = set(filters) - set(_FILTERS)
        if unknown:
            raise TypeError(f"unknown filters: {sorted(unknown)}")
        clauses, params = ["tenant = ?"], [tenant]
        for name, fragment in _FILTERS.items():  # fixed order: same SQL text for the same filter set
            value = filters.get(name)
            if value is None or value == "":
                continue
            if name == "review_status" and value == "none":
                clauses.append("review_status IS NULL")
                continue
            clauses.append(fragment)
            params.append(_like_pattern(value) if name == "q" else ts(value) if name in ("since", "until")
                          else value)
        return " AND ".join(clauses), params

    def list_messages(self, tenant: str, *, limit: int = 50, offset: int = 0, **filters) -> list[dict]:
        """Newest first.  Filters: kind, language, channel, feedback, entry_id, since, until,
        review_status ('none' = not reviewed yet), q (substring of the text; % and _ literal)."""
        where, params = self._where(tenant, filters)
        rows = self.db.query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where} "
                             "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", (*params, limit, offset))
        return [_message(r) for r in rows]

    def count_messages(self, tenant: str, **filters) -> int:
        where, params = self._where(tenant, filters)
        return self.db.query(f"SELECT COUNT(*) AS n FROM messages WHERE {where}", params)[0]["n"]

    def review_queue(self, tenant: str, limit: int = 50, low_score: float = 0.5) -> list[dict]:
        """Questions the bot did not answer well and nobody has decided on yet, newest first."""
        rows = self.db.query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE tenant = ? AND text_deleted = 0 "
            "AND (review_status IS NULL OR review_status = 'open') "
            "AND (kind IN ('fallback', 'choices') OR (kind = 'answer' AND score < ?) OR feedback = 'not_helpful') "
            "ORDER BY created_at DESC, id DESC LIMIT ?", (tenant, low_score, limit))
        return [_message(r) for r in rows]

    # ------------------------------------------------------------------ retention

    def purge_text_older_than(self, days: int, now: datetime | None = None) -> dict:
        """Blank message and handoff text older than `days`; counts and aggregates stay."""
        cutoff = ts((now or utcnow()) - timedelta(days=days))
        with self.db.transaction() as tx:
            messages = tx.execute(
                "UPDATE messages SET text = '', feedback_reason = NULL, text_deleted = 1 "
                "WHERE created_at < ? AND text_deleted = 0", (cutoff,))
            handoffs = tx.execute("UPDATE handoffs SET text = '' WHERE created_at < ? AND text <> ''", (cutoff,))
            # claims of handled events only guard against redelivery, which LINE stops after minutes
            tx.execute("DELETE FROM processed_events WHERE at < ?", (ts((now or utcnow()) - timedelta(days=2)),))
        self.db.checkpoint()
        return {"messages": messages, "handoffs": handoffs}

    def delete_user(self, tenant: str, user_key: str) -> dict:
        """Remove everything stored about one user of one tenant; returns counts per table."""
        with self.db.transaction() as tx:
            counts = {
                "messages": tx.execute("DELETE FROM messages WHERE tenant = ? AND user_key = ?", (tenant, user_key)),
                "prefs": tx.execute("DELETE FROM user_prefs WHERE tenant = ? AND user_key = ?", (tenant, user_key)),
                "handoffs": tx.execute("DELETE FROM handoffs WHERE tenant = ? AND user_key = ?", (tenant, user_key)),
            }
        self.db.checkpoint()
        return counts

    # ------------------------------------------------------------------ export

    def iter_messages(self, tenant: str, since=None, until=None, batch_size: int = 1000,
                      ) -> Iterator[dict]:
        """All messages of a tenant in time order, without user_key (for CSV/JSON downloads).

        Reads in keyset-paginated batches, so no long-running transaction or cursor
        is held while the caller writes the file.  Callers record the download with audit().
        """
        after_at, after_id = ts(since) or _FAR_PAST, 0
        until_at = ts(until) or _FAR_FUTURE
        columns = _MESSAGE_COLUMNS.replace(" user_key,", "")
        while True:
            rows = self.db.query(
                f"SELECT {columns} FROM messages WHERE tenant = ? AND (created_at > ? OR "
                "(created_at = ? AND id > ?)) AND created_at < ? ORDER BY created_at, id LIMIT ?",
                (tenant, after_at, after_at, after_id, until_at, batch_size))
            for row in rows:
                yield _message(row)
            if len(rows) < batch_size:
                return
            after_at, after_id = rows[-1]["created_at"], rows[-1]["id"]
