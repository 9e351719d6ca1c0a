"""Per-user rate limit (token bucket, in process): a resident flooding the bot gets a polite pause message."""
from __future__ import annotations

import threading
import time

from bot import config


class RateLimiter:
    def __init__(self, rate_per_min: float | None = None, burst: int | None = None):
        self.rate = (rate_per_min or config.float_env("MADOGUCHI_RATE_PER_MIN", 20)) / 60.0
        self.burst = burst or config.int_env("MADOGUCHI_RATE_BURST", 8)
        self._b: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._b.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1
            self._b[key] = (tokens - 1 if ok else tokens, now)
            if len(self._b) > 100000:          # forget idle users
                cutoff = now - 3600
                self._b = {k: v for k, v in self._b.items() if v[1] > cutoff}
            return ok
