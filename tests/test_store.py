"""bot.store on both backends: every test runs on SQLite (tmp_path) and PostgreSQL.

PostgreSQL tests use a fresh schema per test (search_path in the URL) and drop it
afterwards.  If the server is unreachable they are skipped, unless
MADOGUCHI_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.store import Store, StoreUnavailable, open_store, schema
from bot.store.db import Postgres, SQLite
from bot.store.spool import record_or_spool, replay_spool

from conftest import PG_URL
PHONE, EMAIL = "090-1234-5678", "hanako.suzuki@example.jp"
T = "toyota"


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


def _msg(store: Store, **fields):
    base = {"tenant": T, "channel": "line", "user_key": "u1", "kind": "answer", "text": "ごみの日は？"}
    return store.record_message(**{**base, **fields})


def _at(day: int, hour: int = 3) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=timezone.utc)


def _down_store(store: Store) -> Store:
    """A Store of the same backend whose database cannot be reached."""
    if store.backend == "sqlite":
        return Store(SQLite("/nonexistent-dir/madoguchi.db"), migrate=False)
    return Store(Postgres("postgresql://postgres@127.0.0.1:1/test", connect_timeout=1), migrate=False)


# ---------------------------------------------------------------- schema

def test_migrations_idempotent(store_url):
    first = open_store(store_url)
    assert first.schema_version() == schema.LATEST
    assert schema.migrate(first.db, "2026-01-01T00:00:00Z") == []
    second = open_store(store_url)  # reopening migrates nothing and keeps data
    _msg(first, event_id="e1")
    assert second.schema_version() == schema.LATEST
    assert second.db.query("SELECT COUNT(*) AS n FROM schema_migrations")[0]["n"] == len(schema.MIGRATIONS)
    assert second.count_messages(T) == 1
    first.close(), second.close()


def test_sqlite_pragmas(store):
    if store.backend != "sqlite":
        assert store.db.query("SELECT 1 AS one") == [{"one": 1}]
        return
    assert store.db.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert store.db.query("PRAGMA secure_delete")[0]["secure_delete"] == 1
    assert store.db.query("PRAGMA busy_timeout")[0]["timeout"] == 5000


# ---------------------------------------------------------------- messages

def test_dedupe_by_event_id(store):
    first = _msg(store, event_id="ev-1")
    again = _msg(store, event_id="ev-1", text="different text")
    assert first[1] is True and again == (first[0], False)
    assert _msg(store)[1] and _msg(store)[1]  # no event_id: never deduplicated
    assert store.count_messages(T) == 3


def test_dedupe_concurrent_redelivery(store):
    results = []

    def deliver():
        results.append(_msg(store, event_id="ev-race"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({mid for mid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.count_messages(T) == 1


def test_record_message_validates(store):
    with pytest.raises(ValueError):
        _msg(store, channel="fax")
    with pytest.raises(ValueError):
        _msg(store, kind="rumour")
    with pytest.raises(TypeError):
        _msg(store, password="x")


def test_feedback_only_by_same_user(store):
    mid, _ = _msg(store, user_key="alice")
    assert store.set_feedback(mid, "helpful", user_key="mallory") is False
    assert store.set_feedback(mid, "helpful") is False  # anonymous never matches
    assert store.get_message(mid)["feedback"] is None
    assert store.set_feedback(mid, "not_helpful", reason=f"電話 {PHONE} に出ない", user_key="alice")
    row = store.get_message(mid)
    assert row["feedback"] == "not_helpful" and row["feedback_reason"] == "電話 [電話番号] に出ない"
    assert store.set_feedback(999999, "helpful", user_key="alice") is False
    with pytest.raises(ValueError):
        store.set_feedback(mid, "great", user_key="alice")


def test_last_message_id_and_language(store):
    assert store.last_message_id(T, "u1") is None
    _msg(store)
    second, _ = _msg(store)
    _msg(store, user_key="u2")
    _msg(store, tenant="katori")
    assert store.last_message_id(T, "u1") == second
    assert store.get_language(T, "u1") is None
    store.set_language(T, "u1", "vi")
    store.set_language(T, "u1", "pt")
    store.set_language("katori", "u1", "en")
    assert store.get_language(T, "u1") == "pt" and store.get_language("katori", "u1") == "en"


def test_handoffs(store):
    mid, _ = _msg(store, kind="handoff")
    hid = store.record_handoff(T, "u1", f"折り返し {EMAIL} へ", message_id=mid, section_id="kankyo")
    store.record_handoff("katori", "u1", "other tenant")
    [open_] = store.list_handoffs(T, "open")
    assert open_["id"] == hid and open_["text"] == "折り返し [メール] へ" and open_["message_id"] == mid
    assert store.set_handoff_status(T, hid, "done", actor="clerk")
    assert store.list_handoffs(T, "open") == [] and len(store.list_handoffs(T, "done")) == 1
    assert store.list_audit(T, action="handoff:done")[0]["detail"] == {"handoff_id": hid}


# ---------------------------------------------------------------- privacy in storage

def _db_bytes(store: Store, store_url: str) -> bytes:
    store.db.checkpoint()
    path = store_url[len("sqlite:///"):]
    return b"".join(open(p, "rb").read() for p in (path, path + "-wal") if os.path.exists(p))


def test_only_masked_text_reaches_database(store, store_url):
    secrets = [PHONE, "09012345678", EMAIL, "4111 1111 1111 1111", "〒471-0001"]
    mid, _ = _msg(store, user_key="carol", text=f"電話 {PHONE} / {EMAIL} / 4111 1111 1111 1111 / 〒471-0001",
                  event_id="ev-pii")
    _msg(store, user_key="carol", text="０９０－１２３４－５６７８ にかけて", event_id="ev-pii")  # duplicate
    store.set_feedback(mid, "not_helpful", reason=f"call {PHONE}", user_key="carol")
    store.record_handoff(T, "carol", f"連絡先 {EMAIL} 09012345678", message_id=mid)
    store.set_review_status(T, mid, "dismissed", actor="clerk")
    row = store.get_message(mid)
    assert "[電話番号]" in row["text"] and "[メール]" in row["text"] and "[カード番号]" in row["text"]

    # Nothing unmasked in any text column, whatever the backend.
    for table, column in (("messages", "text"), ("messages", "feedback_reason"), ("handoffs", "text")):
        for value in (r[column] for r in store.db.query(f"SELECT {column} FROM {table}")):
            assert not any(s in (value or "") for s in secrets), (table, value)

    if store.backend == "sqlite":  # and not in the file's bytes either, before and after deletion
        for raw in (_db_bytes(store, store_url),):
            for s in secrets + ["０９０－１２３４"]:
                assert s.encode() not in raw, s
        _msg(store, user_key="carol", text="ZEBRAMARKER 住民の相談")
        assert b"ZEBRAMARKER" in _db_bytes(store, store_url)
        store.delete_user(T, "carol")
        raw = _db_bytes(store, store_url)
        assert b"ZEBRAMARKER" not in raw  # secure_delete: no copy left in free pages
        assert PHONE.encode() not in raw and EMAIL.encode() not in raw


# ---------------------------------------------------------------- staff, drafts, audit

def test_staff_passwords(store):
    store.create_staff("sato", "correct horse", "editor", T)
    with pytest.raises(ValueError):
        store.create_staff("sato", "again", "editor", T)
    with pytest.raises(ValueError):
        store.create_staff("ito", "pw", "admin", T)
    assert store.verify_staff("sato", "correct horse") == {"username": "sato", "role": "editor", "tenant": T}
    assert store.verify_staff("sato", "wrong") is None
    assert store.verify_staff("nobody", "correct horse") is None
    stored = store.db.query("SELECT password_hash FROM staff_users")[0]["password_hash"]
    assert stored.startswith("$argon2") and "correct horse" not in stored


def test_draft_needs_second_approver(store):
    store.create_staff("author", "pw1", "approver", T)
    store.create_staff("editor", "pw2", "editor", T)
    store.create_staff("other_city", "pw3", "approver", "katori")
    store.create_staff("boss", "pw4", "approver", "*")
    entry = {"id": "gomi-sodai", "question": "粗大ごみの出し方", "answer": "予約制です。"}
    did = store.create_draft(T, entry, created_by="author", source_message_ids=[1, 2])
    assert store.get_draft(did)["entry"] == entry and store.get_draft(did)["source_message_ids"] == [1, 2]
    for user in ("author", "editor", "other_city", "ghost", {"username": "editor", "role": "approver"}):
        with pytest.raises(PermissionError):
            store.approve_draft(did, user)
    assert store.get_draft(did)["status"] == "draft"
    approved = store.approve_draft(did, "boss")
    assert approved["status"] == "approved" and approved["approved_by"] == "boss" and approved["approved_at"]
    with pytest.raises(ValueError):
        store.approve_draft(did, "boss")
    assert [a["action"] for a in store.list_audit(T)] == ["draft:approve", "draft:create"]
    rejected = store.reject_draft(store.create_draft(T, entry, created_by="editor"), "author")
    assert rejected["status"] == "rejected"
    assert store.list_drafts(T, "draft") == [] and len(store.list_drafts(T, "approved")) == 1


def test_audit_log(store):
    store.audit(T, "sato", "download", {"format": "csv", "rows": 10, "範囲": "5月"})
    store.audit("katori", "kato", "download")
    [row] = store.list_audit(T)
    assert row["actor"] == "sato" and row["detail"]["範囲"] == "5月" and row["at"]
    assert len(store.list_audit()) == 2 and len(store.list_audit(action="download")) == 2


# ---------------------------------------------------------------- dashboard queries

@pytest.fixture
def dataset(store):
    """A small known set: 3 days, 2 tenants, several languages, kinds and ratings."""
    rows = [
        # day, hour, language, kind, entry, score, feedback, channel
        (1, 3, "ja", "answer", "gomi", 0.9, "helpful", "line"),
        (1, 4, "ja", "answer", "gomi", 0.8, "helpful", "line"),
        (1, 20, "en", "answer", "tax", 0.4, "not_helpful", "web"),   # 2 May in Tokyo (UTC+9)
        (2, 3, "vi", "fallback", None, None, None, "line"),
        (2, 5, "ja", "choices", None, 0.5, None, "line"),
        (3, 3, "ja", "answer", "gomi", 0.95, None, "line"),
        (3, 4, "pt", "answer", "hoiku", 0.7, "not_helpful", "web"),
        (3, 6, "ja", "smalltalk", None, None, None, "cli"),
    ]
    ids = []
    for i, (day, hour, lang, kind, entry, score, fb, channel) in enumerate(rows):
        mid, _ = store.record_message(tenant=T, channel=channel, user_key=f"u{i}", kind=kind, language=lang,
                                      text=f"質問{i}", entry_id=entry, score=score, created_at=_at(day, hour))
        if fb:
            assert store.set_feedback(mid, fb, user_key=f"u{i}")
        ids.append(mid)
    store.record_message(tenant="katori", channel="line", user_key="x", kind="answer", entry_id="gomi",
                         created_at=_at(1))
    return ids


def test_aggregates(store, dataset):
    assert store.count_by_day(T) == [{"day": "2026-05-01", "count": 2}, {"day": "2026-05-02", "count": 3},
                                     {"day": "2026-05-03", "count": 3}]
    assert store.count_by_day(T, since=_at(2, 0), until=_at(3, 0)) == [{"day": "2026-05-02", "count": 2}]
    assert store.count_by(T, "language") == [{"value": "ja", "count": 5}, {"value": "en", "count": 1},
                                             {"value": "pt", "count": 1}, {"value": "vi", "count": 1}]
    assert store.count_by(T, "kind", since=_at(2, 0))[0] == {"value": "answer", "count": 2}
    assert {r["value"]: r["count"] for r in store.count_by(T, "channel")} == {"line": 5, "web": 2, "cli": 1}
    with pytest.raises(ValueError):
        store.count_by(T, "user_key")
    assert store.helpful_rate(T) == {"helpful": 2, "not_helpful": 2, "rated": 4, "rate": 0.5}
    assert store.helpful_rate(T, since=_at(2, 0))["rated"] == 1
    assert store.helpful_rate("nowhere")["rate"] is None
    assert store.top_entries(T, limit=2) == [
        {"entry_id": "gomi", "count": 3, "helpful": 2, "not_helpful": 0},
        {"entry_id": "hoiku", "count": 1, "helpful": 0, "not_helpful": 1}]
    assert store.top_entries(T, since=_at(3, 0), until=_at(3, 5))[0]["entry_id"] == "gomi"


def test_list_messages_filters(store, dataset):
    assert [m["id"] for m in store.list_messages(T, limit=3)] == dataset[::-1][:3]
    assert [m["id"] for m in store.list_messages(T, limit=3, offset=3)] == dataset[::-1][3:6]
    assert {m["id"] for m in store.list_messages(T, kind="answer", language="ja")} == {dataset[0], dataset[1],
                                                                                       dataset[5]}
    assert [m["id"] for m in store.list_messages(T, feedback="not_helpful", channel="web",
                                                 since=_at(3, 0))] == [dataset[6]]
    assert store.count_messages(T, since=_at(2, 0), until=_at(3, 0)) == 2
    assert store.count_messages(T, q="質問1") == 1
    assert store.count_messages(T, review_status="none") == 8
    with pytest.raises(TypeError):
        store.list_messages(T, user_key="u1")


def test_review_queue(store, dataset):
    queue = store.review_queue(T)
    # fallback, choices, low-scoring answer (0.4, also not_helpful), not_helpful answer (0.7)
    assert {m["id"] for m in queue} == {dataset[2], dataset[3], dataset[4], dataset[6]}
    assert store.set_review_status(T, dataset[3], "drafted", actor="sato", detail={"draft_id": 7})
    assert store.set_review_status(T, dataset[4], "open", actor="sato")
    assert not store.set_review_status("katori", dataset[2], "dismissed", actor="sato")  # other tenant
    assert {m["id"] for m in store.review_queue(T)} == {dataset[2], dataset[4], dataset[6]}
    assert store.list_audit(T, action="review:drafted")[0]["detail"] == {"message_id": dataset[3], "draft_id": 7}
    assert store.count_messages(T, review_status="drafted") == 1


def test_like_search_is_literal(store):
    for text in ("補助率は100%ですか", "補助率は1000円ですか", "file_name.pdf", "filexname.pdf",
                 "C:\\path\\x", "Price 50% OFF"):
        _msg(store, text=text)
    assert [m["text"] for m in store.list_messages(T, q="100%")] == ["補助率は100%ですか"]
    assert [m["text"] for m in store.list_messages(T, q="file_")] == ["file_name.pdf"]
    assert [m["text"] for m in store.list_messages(T, q="\\path")] == ["C:\\path\\x"]
    assert [m["text"] for m in store.list_messages(T, q="price 50% off")] == ["Price 50% OFF"]  # case-insensitive
    assert store.count_messages(T, q="%") == 2 and store.count_messages(T, q="_") == 1
    assert store.count_messages(T, q="'; DROP TABLE messages; --") == 0
    assert store.count_messages(T) == 6


# ---------------------------------------------------------------- retention and export

def test_purge_keeps_aggregates(store, dataset):
    before = (store.count_by_day(T), store.count_by(T, "language"), store.helpful_rate(T), store.top_entries(T))
    store.record_handoff(T, "u0", "古い相談")
    now = _at(3, 12) + timedelta(days=30)  # 30 days after the last message
    assert store.purge_text_older_than(31, now=now) == {"messages": 6, "handoffs": 0}  # 1 and 2 May (UTC)
    remaining = {m["id"]: m for m in store.list_messages(T, limit=100)}
    assert all(remaining[i]["text"] == "" and remaining[i]["text_deleted"] for i in dataset[:5])
    assert remaining[dataset[5]]["text"] == "質問5" and not remaining[dataset[5]]["text_deleted"]
    assert (store.count_by_day(T), store.count_by(T, "language"), store.helpful_rate(T),
            store.top_entries(T)) == before
    assert store.purge_text_older_than(31, now=now)["messages"] == 0  # already purged
    assert store.review_queue(T) == [m for m in store.review_queue(T) if not m["text_deleted"]]
    result = store.purge_text_older_than(0, now=datetime.now(timezone.utc) + timedelta(seconds=1))
    assert result["handoffs"] == 1 and store.list_handoffs(T)[0]["text"] == ""


def test_delete_user(store):
    _msg(store, user_key="dave")
    _msg(store, user_key="dave")
    _msg(store, user_key="dave", tenant="katori")
    _msg(store, user_key="erin")
    store.set_language(T, "dave", "en")
    store.record_handoff(T, "dave", "help")
    assert store.delete_user(T, "dave") == {"messages": 2, "prefs": 1, "handoffs": 1}
    assert store.last_message_id(T, "dave") is None and store.get_language(T, "dave") is None
    assert store.count_messages(T) == 1 and store.count_messages("katori") == 1
    assert store.delete_user(T, "dave") == {"messages": 0, "prefs": 0, "handoffs": 0}


def test_iter_messages_export(store, dataset):
    rows = list(store.iter_messages(T, batch_size=3))
    assert [r["id"] for r in rows] == dataset and all("user_key" not in r for r in rows)
    assert [r["id"] for r in store.iter_messages(T, since=_at(3, 0), batch_size=2)] == dataset[5:]
    assert [r["id"] for r in store.iter_messages(T, since=_at(1, 4), until=_at(2, 5))] == dataset[1:4]


# ---------------------------------------------------------------- availability and spool

def test_unreachable_database_raises_store_unavailable(store):
    down = _down_store(store)
    with pytest.raises(StoreUnavailable):
        _msg(down)


def test_reconnects_after_connection_loss(store):
    _msg(store)
    if store.backend == "postgresql":
        pid = store.db.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreUnavailable):  # the call that finds the connection dead
            store.count_messages(T)
    else:
        store.db.close()
    assert store.count_messages(T) == 1  # next call opens a new connection


def test_spool_and_replay_without_duplicates(store, tmp_path):
    spool = tmp_path / "spool" / "spool.jsonl"
    down = _down_store(store)
    fields = {"tenant": T, "channel": "line", "user_key": "u1", "kind": "answer"}
    assert record_or_spool(down, spool, **fields, text=f"電話 {PHONE}", event_id="ev-a") == (None, True)
    record_or_spool(down, spool, **fields, text="redelivered", event_id="ev-a")  # LINE redelivery
    record_or_spool(down, spool, **{**fields, "channel": "web"}, text=f"mail {EMAIL}")  # gets a local id
    record_or_spool(down, spool, **fields, text="already stored", event_id="ev-b")
    _msg(store, event_id="ev-b")  # this one made it to the database before the outage
    raw = spool.read_text("utf-8")
    assert len(raw.splitlines()) == 4 and PHONE not in raw and EMAIL not in raw
    assert all(json.loads(line)["event_id"] for line in raw.splitlines())

    assert replay_spool(store, spool) == (2, 2)
    assert not spool.exists() and not spool.with_name("spool.jsonl.replaying").exists()
    assert store.count_messages(T) == 3
    assert store.list_messages(T, q="電話")[0]["text"] == "電話 [電話番号]"
    assert replay_spool(store, spool) == (0, 0)

    # Through the store when it is up: stored at once, nothing spooled.
    mid, created = record_or_spool(store, spool, **fields, text="up")
    assert created and store.get_message(mid)["event_id"].startswith("local-") and not spool.exists()


def test_replay_resumes_after_crash(store, tmp_path):
    spool = tmp_path / "spool.jsonl"
    work = tmp_path / "spool.jsonl.replaying"
    line = {"tenant": T, "channel": "line", "user_key": "u1", "kind": "answer", "created_at": "2026-05-01T00:00:00Z"}
    # A replay crashed after inserting ev-1; its last line was cut short while being written.
    work.write_text("\n".join([json.dumps({**line, "event_id": "ev-1", "text": "a"}),
                               json.dumps({**line, "event_id": "ev-2", "text": "b"}),
                               '{"tenant": "toyo']) + "\n", "utf-8")
    _msg(store, event_id="ev-1")
    spool.write_text(json.dumps({**line, "event_id": "ev-3", "text": "c"}) + "\n", "utf-8")  # new since
    assert replay_spool(store, spool) == (2, 1)
    assert not work.exists() and not spool.exists()
    assert (tmp_path / "spool.jsonl.replaying.bad").read_text("utf-8").startswith('{"tenant": "toyo')
    assert store.count_messages(T) == 3
    assert store.list_messages(T, q="c")[0]["created_at"] == "2026-05-01T00:00:00Z"  # original time kept


def test_replay_keeps_file_when_database_fails(store, tmp_path):
    spool = tmp_path / "spool.jsonl"
    spool.write_text(json.dumps({"tenant": T, "channel": "line", "user_key": "u", "kind": "answer",
                                 "text": "x", "event_id": "ev-x"}) + "\n", "utf-8")
    with pytest.raises(StoreUnavailable):
        replay_spool(_down_store(store), spool)
    assert (tmp_path / "spool.jsonl.replaying").exists()  # nothing lost
    assert replay_spool(store, spool) == (1, 0)
