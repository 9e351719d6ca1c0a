"""Fast acknowledgement: events are handed to a bounded in-process queue after the signature check.

When the queue is full, events go to a durable spool file instead of being dropped, and are drained back in when
there is room (and at start-up).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from pathlib import Path

from linebot.v3.webhooks import Event

from bot import config
from bot.privacy import seal, unseal

log = logging.getLogger("madoguchi.dispatch")


def event_spool_path() -> Path:
    return Path(config.env("MADOGUCHI_EVENT_SPOOL", "data/event-spool.jsonl"))


class Dispatcher:
    def __init__(self, handler, size: int | None = None, workers: int | None = None):
        self.handler = handler                       # async (tenant, event, received_at) -> None
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=size or config.int_env("MADOGUCHI_QUEUE_SIZE", 1000))
        self.nworkers = workers or config.int_env("MADOGUCHI_WORKERS", 8)
        self.tasks: list[asyncio.Task] = []
        self.spooled = 0
        self._lock = threading.Lock()

    async def start(self):
        self.tasks = [asyncio.create_task(self._work(i)) for i in range(self.nworkers)]
        self.tasks.append(asyncio.create_task(self._drain_spool_loop()))

    async def stop(self):
        await self.drain(timeout=5)
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        # whatever is still queued at shutdown goes to the spool: the next start handles it
        while not self.queue.empty():
            tenant, _ev, _t, raw = self.queue.get_nowait()
            self._spool(tenant, raw)

    def submit(self, tenant: str, events: list, raw_events: list[dict]) -> None:
        now = time.monotonic()
        for ev, raw in zip(events, raw_events):
            try:
                self.queue.put_nowait((tenant, ev, now, raw))
            except asyncio.QueueFull:
                self._spool(tenant, raw)

    def _spool(self, tenant: str, raw: dict) -> None:
        p = event_spool_path()
        p.parent.mkdir(parents=True, exist_ok=True)
        # the event waits on disk sealed: it holds the LINE user ID and the unmasked question
        sealed = seal(json.dumps(raw, ensure_ascii=False).encode("utf-8"))
        line = json.dumps({"tenant": tenant, "sealed": sealed}, ensure_ascii=False) + "\n"
        with self._lock, open(p, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.spooled += 1

    async def _work(self, i: int):
        while True:
            tenant, ev, t, _raw = await self.queue.get()
            try:
                await self.handler(tenant, ev, t)
            except Exception:
                log.exception("worker %d: event failed", i)
            finally:
                self.queue.task_done()

    async def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued event is handled (tests, shutdown)."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def _drain_spool_loop(self):
        while True:
            try:
                await self.replay_spool()
            except Exception:
                log.exception("event spool replay failed")
            await asyncio.sleep(1.0)

    async def replay_spool(self) -> int:
        """Feed spooled events back while the queue has room; the rest stay spooled."""
        p = event_spool_path()
        if not p.is_file() or p.stat().st_size == 0 or self.queue.qsize() > self.queue.maxsize // 2:
            return 0
        work = p.with_suffix(".replaying")
        with self._lock:
            if not work.exists():
                p.replace(work)
        lines = work.read_text(encoding="utf-8").splitlines()
        n = 0
        rest = []
        for line in lines:
            if not line.strip():
                continue
            if self.queue.full():
                rest.append(line)
                continue
            try:
                obj = json.loads(line)
                raw = json.loads(unseal(obj["sealed"])) if "sealed" in obj else obj["event"]
                ev = Event.from_dict(raw)
            except Exception as e:
                log.warning("unreadable spooled event dropped (%s)", type(e).__name__)   # never log its content
                continue
            self.queue.put_nowait((obj["tenant"], ev, time.monotonic(), raw))
            n += 1
        with self._lock:
            if rest:
                with open(p, "a", encoding="utf-8") as f:
                    f.write("\n".join(rest) + "\n")
            work.unlink(missing_ok=True)
        return n
