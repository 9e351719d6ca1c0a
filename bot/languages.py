"""Language codes Madoguchi speaks, and their names as residents see them."""

LANGUAGES = ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "pt", "ne", "id"]
REQUIRED = ("ja", "ja-easy", "en")          # every answerable entry has these
FOREIGN = ["en", "zh", "ko", "vi", "tl", "pt", "ne", "id"]

# Label of each language in itself: used on the language chooser (LINE quick replies ≤ 20 chars, web select).
NATIVE_NAMES = {
    "ja": "日本語", "ja-easy": "やさしい にほんご", "en": "English", "zh": "中文", "ko": "한국어",
    "vi": "Tiếng Việt", "tl": "Tagalog", "pt": "Português", "ne": "नेपाली", "id": "Bahasa Indonesia",
}


def normalise_lang(code: str | None) -> str | None:
    """Map BCP-47-ish tags from LINE profiles or browsers (en-US, zh-Hans, pt-BR, fil, easy) to our codes."""
    if not code:
        return None
    c = code.strip().lower().replace("_", "-")
    if c in ("ja-easy", "easy", "ja-plain", "yasashii"):
        return "ja-easy"
    if c in ("fil", "tl") or c.startswith("fil-") or c.startswith("tl-"):
        return "tl"
    if c in ("in",):                       # old Java-style tag for Indonesian
        return "id"
    base = c.split("-")[0]
    return base if base in LANGUAGES else None
