"""Madoguchi's core: knowledge, search, answers, 広聴 records. Knows nothing of LINE."""
import os

# numpy's OpenBLAS keeps its own thread pool, which contends with the semantic model's OpenMP threads (bot/embed.py):
# one query vector took 48 ms beside it and 13 ms without it. Our matrix work is a few hundred rows: one thread is
# plenty. Set before numpy loads; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
