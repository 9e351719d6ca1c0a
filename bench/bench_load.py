"""Load on the LINE webhook over loopback: signed events at rising rates against the real service (uvicorn, 2
workers; SQLite, and PostgreSQL when reachable) and against bench/bare_webhook.py, with a local LINE stand-in
counting replies. Prints, per step: throughput, p50/p99 acknowledgement time, events sent, recorded (DB rows),
duplicated (event_id counted more than once), spooled, replied; then the ratio service/bare. Asserts nothing.

    .venv/bin/python bench/bench_load.py                 # 50, 100, 200, 400 events/s, ~8 s a step
    .venv/bin/python bench/bench_load.py --restart-pg    # PostgreSQL restarted once in the middle of its run
    .venv/bin/python bench/bench_load.py --rates 50,100 --seconds 5 --no-pg

Loopback only; every process it starts is stopped at the end; the whole run is bounded (< 5 minutes).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
WORKERS = 2
PG_ADMIN = os.environ.get("MADOGUCHI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
QUESTIONS = ["ごみの出し方を教えて", "住民票の写しがほしい", "粗大ごみはどうやって出しますか", "マイナンバーカードの更新",
             "How do I register my address?", "児童手当の申請", "市長に意見を伝えたい", "パスポートはどこで申請できますか"]


# ------------------------------------------------------------------------------------------- LINE stand-in

def run_stand_in(port: int) -> None:
    """A tiny aiohttp app standing in for api.line.me; GET /stats gives reply counts by token prefix."""
    from aiohttp import web
    replies: dict[str, int] = {}

    async def reply(request):
        body = await request.json()
        tok = body.get("replyToken", "")
        replies[tok] = replies.get(tok, 0) + 1
        return web.json_response({"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    async def ok(request):
        return web.json_response({}, status=202 if request.path.endswith("/start") else 200)

    async def push(request):
        return web.json_response({"sentMessages": [{"id": "2"}]})

    async def stats(request):
        by: dict[str, int] = {}
        for tok in replies:
            p = tok.split("-", 1)[0]
            by[p] = by.get(p, 0) + 1
        return web.json_response({"distinct": len(replies), "calls": sum(replies.values()), "by_prefix": by,
                                  "repeated": sum(1 for n in replies.values() if n > 1)})

    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", reply)
    app.router.add_post("/v2/bot/message/push", push)
    app.router.add_post("/v2/bot/chat/loading/start", ok)
    app.router.add_get("/stats", stats)
    app.router.add_route("*", "/{tail:.*}", ok)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ------------------------------------------------------------------------------------------- processes

def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port: int, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


class Proc:
    def __init__(self, args: list[str], env: dict, log: Path):
        self.log = open(log, "wb")
        self.p = subprocess.Popen(args, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                  start_new_session=True)

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)      # our own session: uvicorn and its workers only
                self.p.wait(15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.log.close()


def uvicorn(app_args: list[str], port: int, env: dict, log: Path) -> Proc:
    return Proc([sys.executable, "-m", "uvicorn", *app_args, "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log"], env, log)


def pg_reachable() -> bool:
    try:
        import psycopg
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        return True
    except Exception:
        return False


def restart_pg() -> float:
    t = time.monotonic()
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=False,
                   capture_output=True, timeout=60)
    return time.monotonic() - t


# ------------------------------------------------------------------------------------------- counting

class Counter:
    """Rows per event_id in the service's database."""

    def __init__(self, url: str):
        self.url = url

    def counts(self) -> dict[str, int]:
        sql = "SELECT event_id, COUNT(*) AS n FROM messages WHERE event_id IS NOT NULL GROUP BY event_id"
        try:
            if self.url.startswith("sqlite:///"):
                con = sqlite3.connect(f"file:{self.url[len('sqlite:///'):]}?mode=ro", uri=True, timeout=10)
                try:
                    return {e: n for e, n in con.execute(sql)}
                finally:
                    con.close()
            import psycopg
            with psycopg.connect(self.url, connect_timeout=3) as con:
                return {e: n for e, n in con.execute(sql)}
        except Exception:
            return {}


def spooled_ids(tmp: Path) -> set[str]:
    out = set()
    for f in (tmp / "spool.jsonl", tmp / "spool.jsonl.replaying"):
        if f.exists():
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    out.add(json.loads(line)["event_id"])
                except Exception:
                    pass
    return out


def event_spool_size(tmp: Path) -> int:
    n = 0
    for f in (tmp / "event-spool.jsonl", tmp / "event-spool.replaying"):
        if f.exists():
            n += sum(1 for line in f.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip())
    return n


async def stand_in_stats(session, port: int) -> dict:
    try:
        async with session.get(f"http://127.0.0.1:{port}/stats") as r:
            return await r.json()
    except Exception:
        return {"by_prefix": {}, "repeated": 0}


# ------------------------------------------------------------------------------------------- load

def signed_event(step: str, n: int) -> tuple[bytes, str, str]:
    eid = f"01B{step}{n:08d}{uuid.uuid4().hex[:12]}".upper()[:26]
    token = f"{step}-{n}"
    ev = {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
          "source": {"type": "user", "userId": "U" + hashlib.md5(f"{step}{n}".encode()).hexdigest()},
          "replyToken": token, "webhookEventId": eid, "deliveryContext": {"isRedelivery": False},
          "message": {"id": str(10**9 + n), "type": "text", "quoteToken": f"q{n}",
                      "text": QUESTIONS[n % len(QUESTIONS)]}}
    body = json.dumps({"destination": "U" + "0" * 32, "events": [ev]}, ensure_ascii=False).encode()
    sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, sig, eid


async def run_step(session, url: str, step: str, rate: int, seconds: float, on_half=None) -> dict:
    """Send `rate` events a second for `seconds`, on a fixed schedule (open loop); returns the figures."""
    total = int(rate * seconds)
    lat: list[float] = []
    statuses: dict[int, int] = {}
    ids: list[str] = []
    prepared = [signed_event(step, i) for i in range(total)]

    async def one(body, sig):
        t = time.perf_counter()
        try:
            async with session.post(url, data=body, headers={"X-Line-Signature": sig,
                                                             "Content-Type": "application/json"}) as r:
                await r.read()
                statuses[r.status] = statuses.get(r.status, 0) + 1
        except Exception:
            statuses[-1] = statuses.get(-1, 0) + 1
            return
        lat.append(time.perf_counter() - t)

    tasks = []
    t0 = time.perf_counter()
    half_fired = False
    for i, (body, sig, eid) in enumerate(prepared):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if on_half and not half_fired and i >= total // 2:
            half_fired = True
            tasks.append(asyncio.create_task(on_half()))
        ids.append(eid)
        tasks.append(asyncio.create_task(one(body, sig)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    lat.sort()
    return {"step": step, "rate": rate, "sent": total, "ok": statuses.get(200, 0), "statuses": statuses,
            "elapsed": elapsed, "throughput": statuses.get(200, 0) / elapsed if elapsed else 0.0,
            "p50": lat[len(lat) // 2] * 1000 if lat else float("nan"),
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan"), "ids": ids}


def fmt_row(r: dict) -> str:
    extra = "" if set(r["statuses"]) <= {200} else f"  statuses={r['statuses']}"
    row = (f"{r['rate']:>6}/s {r['throughput']:>9.1f}/s {r['p50']:>8.1f} {r['p99']:>8.1f} {r['sent']:>6}")
    if "recorded" in r:
        row += (f" {r['recorded']:>8} {r['duplicated']:>5} {r['spooled']:>7} {r['replied']:>7}")
    return row + extra


HEAD_SERVICE = (f"{'rate':>8} {'throughput':>11} {'p50 ms':>8} {'p99 ms':>8} {'sent':>6} {'recorded':>8} "
                f"{'dup':>5} {'spooled':>7} {'replied':>7}")
HEAD_BARE = f"{'rate':>8} {'throughput':>11} {'p50 ms':>8} {'p99 ms':>8} {'sent':>6}"


async def bench_service(label: str, db_url: str, rates: list[int], seconds: float, settle: float,
                        restart: bool, tmp: Path, stand_port: int, deadline: float) -> list[dict]:
    import aiohttp
    port = free_port()
    env = dict(os.environ, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
               MADOGUCHI_LINE_API_BASE=f"http://127.0.0.1:{stand_port}", DATABASE_URL=db_url,
               MADOGUCHI_SPOOL_PATH=str(tmp / "spool.jsonl"), MADOGUCHI_EVENT_SPOOL=str(tmp / "event-spool.jsonl"),
               MADOGUCHI_WATCH="0", MADOGUCHI_ENV="development", MADOGUCHI_HASH_KEY="bench-hash-key",
               MADOGUCHI_SPOOL_REPLAY_SECONDS="2", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    proc = uvicorn(["web.app:create_app", "--factory"], port, env, tmp / f"service-{label}.log")
    rows_out: list[dict] = []
    counter = Counter(db_url)
    try:
        if not wait_port(port, 90):
            print(f"  {label}: the service did not start; see {tmp}/service-{label}.log")
            return []
        print(f"\nservice ({label}, uvicorn {WORKERS} workers)" + ("  [PostgreSQL restarted mid-run]" if restart else ""))
        print(HEAD_SERVICE)
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as s:
            mid = len(rates) // 2
            for k, rate in enumerate(rates):
                if time.monotonic() + seconds + settle > deadline:
                    print(f"  (time budget reached: steps from {rate}/s skipped)")
                    break
                on_half = None
                if restart and k == mid:
                    async def on_half():
                        took = await asyncio.to_thread(restart_pg)
                        print(f"  PostgreSQL restarted during the {rates[mid]}/s step ({took:.1f} s)")
                r = await run_step(s, f"http://127.0.0.1:{port}/callback/katori", f"{label[0]}{k}", rate, seconds,
                                   on_half)
                # let the backlog drain (bounded), then count
                end = time.monotonic() + settle
                ids = set(r["ids"])
                prefix = f"{label[0]}{k}"
                while time.monotonic() < end:
                    st = await stand_in_stats(s, stand_port)
                    if st["by_prefix"].get(prefix, 0) >= r["ok"]:
                        break
                    await asyncio.sleep(0.5)
                counts = counter.counts()
                st = await stand_in_stats(s, stand_port)
                r.update(recorded=sum(1 for e in ids if e in counts),
                         duplicated=sum(1 for e in ids if counts.get(e, 0) > 1),
                         spooled=len(ids & spooled_ids(tmp)), replied=st["by_prefix"].get(prefix, 0))
                print(fmt_row(r), flush=True)
                rows_out.append(r)
            # final tally after a last bounded wait: everything sent, where is it now?
            all_ids = set().union(*(set(r["ids"]) for r in rows_out)) if rows_out else set()
            end = time.monotonic() + min(settle * 2, max(0.0, deadline - time.monotonic()))
            while time.monotonic() < end:
                counts = counter.counts()
                if len(all_ids & set(counts)) + len(all_ids & spooled_ids(tmp) - set(counts)) >= len(all_ids):
                    break
                await asyncio.sleep(1.0)
            counts = counter.counts()
            sp = spooled_ids(tmp)
            st = await stand_in_stats(s, stand_port)
            rec = all_ids & set(counts)
            print(f"  total: sent {len(all_ids)}, recorded {len(rec)}, only in spool {len((all_ids & sp) - rec)}, "
                  f"missing {len(all_ids - rec - sp)}, duplicated event_ids "
                  f"{sum(1 for e in all_ids if counts.get(e, 0) > 1)}, replied "
                  f"{sum(v for k2, v in st['by_prefix'].items() if k2.startswith(label[0]))}, "
                  f"replied twice {st['repeated']}, events still in the event spool {event_spool_size(tmp)}")
    finally:
        proc.stop()
    return rows_out


async def bench_bare(rates: list[int], seconds: float, tmp: Path) -> list[dict]:
    import aiohttp
    port = free_port()
    env = dict(os.environ, LINE_CHANNEL_SECRET=SECRET)
    proc = uvicorn(["--app-dir", "bench", "bare_webhook:app"], port, env, tmp / "bare.log")
    out = []
    try:
        if not wait_port(port, 30):
            print("  the bare webhook did not start")
            return []
        print(f"\nbare webhook (signature check only, uvicorn {WORKERS} workers)")
        print(HEAD_BARE)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=30)) as s:
            for k, rate in enumerate(rates):
                r = await run_step(s, f"http://127.0.0.1:{port}/callback/katori", f"b{k}", rate, seconds)
                print(fmt_row(r), flush=True)
                out.append(r)
    finally:
        proc.stop()
    return out


async def main_async(args) -> None:
    deadline = time.monotonic() + args.budget
    rates = [int(x) for x in args.rates.split(",")]
    tmp_root = Path(tempfile.mkdtemp(prefix="mdg-bench-"))
    stand_port = free_port()
    stand = Proc([sys.executable, str(Path(__file__).resolve()), "--stand-in", str(stand_port)], dict(os.environ),
                 tmp_root / "stand-in.log")
    pg_db = None
    results: dict[str, list[dict]] = {}
    try:
        if not wait_port(stand_port, 20):
            print("LINE stand-in did not start")
            return
        print(f"rates {rates} events/s, {args.seconds:.0f} s a step, settle <= {args.settle:.0f} s; "
              f"loopback; work dir {tmp_root}")
        bare_time = len(rates) * args.seconds + 10
        runs = [("sqlite", f"sqlite:///{tmp_root}/sqlite/bench.db", False)]
        if not args.no_pg and pg_reachable():
            import psycopg
            pg_db = f"mdg_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{pg_db}"')
            runs.append(("postgresql", f"{PG_ADMIN.rsplit('/', 1)[0]}/{pg_db}", args.restart_pg))
        elif not args.no_pg:
            print("PostgreSQL not reachable: SQLite only")
        for i, (label, url, restart) in enumerate(runs):
            tmp = tmp_root / label
            tmp.mkdir(parents=True, exist_ok=True)
            left = len(runs) - i
            share = (deadline - time.monotonic() - bare_time) / left
            results[label] = await bench_service(label, url, rates, args.seconds, args.settle, restart, tmp,
                                                 stand_port, time.monotonic() + share)
        results["bare"] = await bench_bare(rates, args.seconds, tmp_root)
        bare = {r["rate"]: r for r in results["bare"]}
        print("\nservice / bare (throughput ratio; p99 ratio)")
        for label in [k for k in results if k != "bare"]:
            for r in results[label]:
                b = bare.get(r["rate"])
                if b and b["throughput"] and b["p99"]:
                    print(f"  {label:<10} {r['rate']:>5}/s  throughput {r['throughput'] / b['throughput']:.2f}  "
                          f"p99 {r['p99'] / b['p99']:.1f}x  ({r['p99']:.1f} ms vs {b['p99']:.1f} ms)")
    finally:
        stand.stop()
        if pg_db:
            try:
                import psycopg
                for _ in range(10):
                    try:
                        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as con:
                            con.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
                        break
                    except Exception:
                        time.sleep(1)
            except ImportError:
                pass
        if not args.keep:
            shutil.rmtree(tmp_root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="50,100,200,400")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each step")
    ap.add_argument("--settle", type=float, default=8.0, help="longest wait for the backlog after a step")
    ap.add_argument("--budget", type=float, default=280.0, help="the whole run stops within this many seconds")
    ap.add_argument("--restart-pg", action="store_true", help="restart PostgreSQL once during its run")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, SQLite file, spools)")
    ap.add_argument("--stand-in", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn workers for the service and the bare webhook")
    args = ap.parse_args()
    global WORKERS
    WORKERS = args.workers
    if args.stand_in:
        run_stand_in(args.stand_in)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
