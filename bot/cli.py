"""`madoguchi` command line: serve, ask, kb (lint, stats, import, export, stamp), logs, users, spool."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _not_answered(tenant, text, error: str) -> dict:
    """An answer object for a line that could not be asked (one line out per line in, always)."""
    return {"tenant": tenant, "query": text, "answered": False, "kind": "fallback", "error": error, "entry_id": None,
            "score": 0.0, "language": "ja", "text": "", "contacts": [], "sources": [], "candidates": []}


def _answer_line(obj: dict, top_default: int, store=None) -> dict:
    from bot.answer import UnknownTenant, answer
    tenant, text = obj.get("tenant"), obj.get("text")
    if not isinstance(tenant, str) or not isinstance(text, str):
        return _not_answered(tenant, text, "need tenant and text")
    try:
        a = answer(tenant, text, obj.get("lang"), top=obj.get("top") or top_default)
    except UnknownTenant:
        return _not_answered(tenant, text, "unknown tenant")
    if store is not None:
        from bot.recording import record_answer
        record_answer(store, a, channel="cli", user_key=None)
    return a


def cmd_ask(a) -> int:
    from bot.kb.registry import get_kb
    get_kb(background_embeddings=False)      # a batch run waits for the semantic vectors (cached after once)
    store = None
    if a.log:
        from bot.recording import open_default_store
        store = open_default_store()
    if a.jsonl:
        out = sys.stdout
        for raw in sys.stdin:
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                obj = {"error": f"bad JSON: {e}"}
            res = _answer_line(obj if isinstance(obj, dict) else {}, a.top, store)
            out.write(json.dumps(res, ensure_ascii=False) + "\n")
            out.flush()
        return 0
    if not a.tenant or not a.text:
        print("usage: madoguchi ask --tenant T [--lang L] [--top K] [--json] TEXT", file=sys.stderr)
        return 2
    res = _answer_line({"tenant": a.tenant, "text": " ".join(a.text), "lang": a.lang, "top": a.top}, a.top, store)
    if a.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
    else:
        if res.get("error"):
            print(f"error: {res['error']}", file=sys.stderr)
            return 1
        print(res["text"])
        print(f"\n[{res['kind']} {res['entry_id'] or ''} score {res['score']} language {res['language']}]")
        for c in res["candidates"]:
            print(f"  {c['score']:.3f} {c['entry_id']} {c['title']}")
    return 0


def cmd_serve(a) -> int:
    import uvicorn
    uvicorn.run("web.app:create_app", factory=True, host=a.host, port=a.port, workers=a.workers,
                log_level=os.environ.get("MADOGUCHI_LOG_LEVEL", "info"), proxy_headers=True)
    return 0


def cmd_kb(a) -> int:
    from bot.kb import lint
    if a.kb_cmd == "lint":
        return lint.run(a.tenant, show_warnings=not a.errors_only)
    if a.kb_cmd == "stats":
        from bot.kb.stats import stats
        data = stats(a.tenant)
        if a.json:
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            for tid, s in data.items():
                print(f"{tid}: " + ", ".join(f"{k} {v}" for k, v in s.items() if not isinstance(v, dict)))
        return 0
    if a.kb_cmd == "import":
        from bot.kb.csvio import ImportError_, import_csv
        try:
            n = import_csv(a.tenant, Path(a.into), Path(a.file), a.encoding)
        except ImportError_ as e:
            for p in e.problems:
                print(p, file=sys.stderr)
            print(f"nothing imported: {len(e.problems)} bad row(s)", file=sys.stderr)
            return 1
        print(f"imported {n} entries into {Path(a.into) / a.tenant}")
        return 0
    if a.kb_cmd == "export":
        from bot.kb.csvio import export_csv
        from bot.kb.loader import discover, load_tenant
        found = discover()
        if a.tenant not in found:
            print(f"unknown tenant {a.tenant!r}", file=sys.stderr)
            return 2
        n = export_csv(load_tenant(found[a.tenant], a.tenant), Path(a.file), a.encoding)
        print(f"exported {n} FAQ entries to {a.file}")
        return 0
    if a.kb_cmd == "stamp":
        from bot.kb.stamp import stamp
        n = stamp(a.tenant)
        print(f"stamped {n} translations")
        return 0
    return 2


def cmd_logs(a) -> int:
    from bot.recording import export_logs, open_default_store
    store = open_default_store()
    n = export_logs(store, a.tenant, a.since, a.format, a.encoding, Path(a.file), actor="cli")
    print(f"exported {n} questions to {a.file}")
    return 0


def cmd_users(a) -> int:
    from bot.recording import open_default_store
    store = open_default_store()
    import getpass
    pw = a.password or os.environ.get("MADOGUCHI_NEW_PASSWORD") or getpass.getpass("password: ")
    if len(pw) < 10:
        print("use a password of at least 10 characters", file=sys.stderr)
        return 2
    store.create_staff(a.username, pw, a.role, a.tenant)
    print(f"staff user {a.username} ({a.role}, tenant {a.tenant}) saved")
    return 0


def cmd_spool(a) -> int:
    from bot.recording import open_default_store, spool_path
    from bot.store.spool import replay_spool
    replayed, dups = replay_spool(open_default_store(), spool_path())
    print(f"replayed {replayed} records ({dups} already recorded)")
    return 0


def cmd_purge(a) -> int:
    from bot.recording import open_default_store, retention_days
    days = a.days or retention_days()
    n = open_default_store().purge_text_older_than(days)
    print(f"removed the text of {n.get('messages', 0)} questions and {n.get('handoffs', 0)} requests "
          f"older than {days} days (counts stay)")
    return 0


def cmd_richmenu(a) -> int:
    from handlers.richmenu import main as rm_main
    return rm_main(a)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="madoguchi", description="Madoguchi: the city's all-night counter")
    sub = ap.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="run the web service (LINE webhook, web chat, staff pages)")
    s.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    s.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("ask", help="answer one question, or JSON lines on standard input")
    s.add_argument("--tenant")
    s.add_argument("--lang")
    s.add_argument("--top", type=int, default=3)
    s.add_argument("--json", action="store_true")
    s.add_argument("--jsonl", action="store_true")
    s.add_argument("--log", action="store_true", help="record the questions in the 広聴 log")
    s.add_argument("text", nargs="*")
    s.set_defaults(fn=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge base tools")
    ks = kb.add_subparsers(dest="kb_cmd", required=True)
    k = ks.add_parser("lint")
    k.add_argument("--tenant")
    k.add_argument("--errors-only", action="store_true")
    k = ks.add_parser("stats")
    k.add_argument("--tenant")
    k.add_argument("--json", action="store_true")
    k = ks.add_parser("import")
    k.add_argument("--tenant", required=True)
    k.add_argument("--into", required=True)
    k.add_argument("--encoding", choices=["utf-8-sig", "utf-8", "cp932"])
    k.add_argument("file")
    k = ks.add_parser("export")
    k.add_argument("--tenant", required=True)
    k.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "cp932"])
    k.add_argument("file")
    k = ks.add_parser("stamp", help="record the source text of each translation (after a review)")
    k.add_argument("--tenant")
    kb.set_defaults(fn=cmd_kb)

    lg = sub.add_parser("logs", help="広聴 log tools")
    ls = lg.add_subparsers(dest="logs_cmd", required=True)
    k = ls.add_parser("export")
    k.add_argument("--tenant", required=True)
    k.add_argument("--since")
    k.add_argument("--format", default="csv", choices=["csv", "jsonl"])
    k.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "cp932"])
    k.add_argument("file")
    k.set_defaults(fn=cmd_logs)
    k = ls.add_parser("purge", help="delete question texts older than MADOGUCHI_RETENTION_DAYS")
    k.add_argument("--days", type=int)
    k.set_defaults(fn=cmd_purge)
    k = ls.add_parser("replay-spool", help="write spooled records into the database")
    k.set_defaults(fn=cmd_spool)

    u = sub.add_parser("users", help="staff accounts")
    us = u.add_subparsers(dest="users_cmd", required=True)
    k = us.add_parser("add")
    k.add_argument("username")
    k.add_argument("--role", required=True, choices=["viewer", "editor", "approver"])
    k.add_argument("--tenant", default="*")
    k.add_argument("--password")
    k.set_defaults(fn=cmd_users)

    r = sub.add_parser("richmenu", help="LINE rich menus")
    rs = r.add_subparsers(dest="rm_cmd", required=True)
    k = rs.add_parser("images", help="draw the menu images from their definitions")
    k.add_argument("--tenant")
    k.add_argument("--out", default="data/richmenu")
    k = rs.add_parser("deploy", help="create, upload, set default and link per-language menus")
    k.add_argument("--tenant", required=True)
    k.add_argument("--languages", default="ja,ja-easy,en")
    r.set_defaults(fn=cmd_richmenu)
    return ap


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
