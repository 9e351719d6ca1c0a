"""A throw-away PostgreSQL schema for a benchmark run: created on entry, dropped on exit."""
from __future__ import annotations

import os
from contextlib import contextmanager


@contextmanager
def pg_schema_url(base_url: str, prefix: str):
    """Yield a URL whose search_path is a fresh schema, or None (with a printed reason) when PostgreSQL is away."""
    try:
        import psycopg
        admin = psycopg.connect(base_url, autocommit=True, connect_timeout=3)
    except Exception as e:
        print(f"  postgresql not reachable ({str(e).splitlines()[0][:100]}); skipped")
        yield None
        return
    schema = f"{prefix}_{os.getpid()}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()
