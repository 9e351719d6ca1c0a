"""The live knowledge base of every tenant: loaded and indexed at start-up, swapped whole on reload.

A reload builds the new indexes beside the old ones and swaps one reference, so requests in flight keep the
version they started with and none is dropped.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot.kb.entries import Entry, build_entries
from bot.kb.loader import Tenant, discover, knowledge_roots, load_common, load_tenant
from bot.search import Index

log = logging.getLogger("madoguchi.kb")


@dataclass
class TenantKB:
    tenant: Tenant
    entries: list[Entry]
    index: Index
    by_id: dict[str, Entry]
    load_seconds: float

    @property
    def id(self) -> str:
        return self.tenant.id


class KnowledgeBase:
    def __init__(self, roots: list[Path] | None = None, background_embeddings: bool = True):
        self.roots = roots
        # The service embeds in the background and answers lexically meanwhile; a batch run (CLI, benchmark)
        # waits for the vectors so that its results do not depend on timing.
        self.background_embeddings = background_embeddings
        self._lock = threading.Lock()
        self.common: dict = {}
        self.tenants: dict[str, TenantKB] = {}
        self.version = 0
        self.reload()

    def _build(self, tid: str, path: Path, common: dict) -> TenantKB:
        t0 = time.perf_counter()
        tenant = load_tenant(path, tid)
        for p in tenant.problems:
            log.warning("%s: %s", tid, p)
        entries = build_entries(tenant)
        index = Index(entries, common.get("synonyms"), common.get("keyword_translations"),
                      embeddings=self._embeddings(tid, entries, tenant.imported))
        return TenantKB(tenant, entries, index, {e.id: e for e in entries}, time.perf_counter() - t0)

    def _embeddings(self, tid: str, entries, imported: bool):
        from bot import embed
        if not embed.enabled(imported):
            return None
        return embed.EntryEmbeddings(tid, entries, background=self.background_embeddings)

    def reload(self, only: str | None = None) -> dict[str, float]:
        """(Re)load every tenant, or one; returns seconds per tenant loaded."""
        with self._lock:
            roots = self.roots or knowledge_roots()
            common = load_common(roots)
            found = discover(roots)
            new = dict(self.tenants) if only else {}
            for tid, path in found.items():
                if only and tid != only:
                    continue
                new[tid] = self._build(tid, path, common)
            self.common = common
            self.tenants = new                 # one reference swap: readers see old or new, never half
            self.version += 1
            self._stamp = self._fingerprint()
            return {tid: kb.load_seconds for tid, kb in new.items() if not only or tid == only}

    def get(self, tenant: str) -> TenantKB | None:
        return self.tenants.get(tenant)

    def names(self) -> list[str]:
        return list(self.tenants)

    def message(self, key: str, lang: str, **fmt) -> str:
        msgs = self.common.get("messages", {}).get(key, {})
        text = msgs.get(lang) or msgs.get("en") or msgs.get("ja") or ""
        try:
            return text.format(**fmt)
        except (KeyError, IndexError):
            return text

    # -- file watch ---------------------------------------------------------------------------------
    def _fingerprint(self) -> tuple:
        stamp = []
        for root in self.roots or knowledge_roots():
            if not root.is_dir():
                continue
            for p in sorted(root.rglob("*.yaml")):
                try:
                    st = p.stat()
                    stamp.append((str(p), st.st_mtime_ns, st.st_size))
                except OSError:
                    pass
        return tuple(stamp)

    def changed(self) -> bool:
        return self._fingerprint() != self._stamp

    def watch(self, interval: float = 2.0, stop: threading.Event | None = None) -> threading.Thread:
        """Poll the knowledge folders and reload when a file changes (cheap: stat calls only)."""
        stop = stop or threading.Event()

        def loop():
            while not stop.wait(interval):
                try:
                    if self.changed():
                        secs = self.reload()
                        log.info("knowledge reloaded: %s", {k: round(v, 2) for k, v in secs.items()})
                except Exception:          # a half-written file must not stop the watch
                    log.exception("knowledge reload failed; keeping the previous version")

        th = threading.Thread(target=loop, name="kb-watch", daemon=True)
        th.start()
        return th


_KB: KnowledgeBase | None = None
_KB_LOCK = threading.Lock()


def get_kb(background_embeddings: bool = True) -> KnowledgeBase:
    global _KB
    if _KB is None:
        with _KB_LOCK:
            if _KB is None:
                _KB = KnowledgeBase(background_embeddings=background_embeddings)
    return _KB


def set_kb(kb: KnowledgeBase | None) -> None:
    """Tests and the CLI point the process at another knowledge path."""
    global _KB
    _KB = kb
