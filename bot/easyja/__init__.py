"""やさしい日本語 (plain Japanese) tools: checker, furigana renderer, 分かち書き.

    from bot.easyja import check, Issue, render_furigana, wakachi

See checker.py for the rules and furigana.py for the reading sources; DATA-LICENSES.md for the data.
"""
from .checker import PROFILES, Issue, check
from .furigana import render_furigana, strip_furigana, wakachi

__all__ = ["check", "Issue", "render_furigana", "wakachi", "strip_furigana", "PROFILES"]
