"""Privacy helpers: pseudonymous user keys and masking of personal data.

Everything a resident types passes through `mask()` before it is written anywhere
(database, spool file, logs), so the storage layer never holds a phone number,
e-mail address, street number and the like.  The rules prefer masking too much
over too little, but leave alone the numbers residents use in ordinary questions
(years, counts, percentages, prices, times).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import sys

log = logging.getLogger(__name__)

HASH_KEY_ENV = "MADOGUCHI_HASH_KEY"
# Only ever used in development and tests: keys made with it are not secret.
DEV_HASH_KEY = b"madoguchi-development-key-not-secret"


class MissingHashKey(RuntimeError):
    """MADOGUCHI_HASH_KEY is unset outside development."""


def user_key(raw_id: str, key: bytes | str) -> str:
    """Pseudonymous, stable key for a user id (LINE user id, web session id).

    HMAC-SHA256 rather than a bare hash: LINE ids are guessable in structure, so
    without a secret key the table could be reversed by brute force.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise ValueError("hash key must not be empty")
    return hmac.new(key, raw_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _running_under_pytest() -> bool:
    return "PYTEST_CURRENT_TEST" in os.environ or "pytest" in sys.modules


def hash_key_from_env() -> bytes:
    """The key for `user_key`, from MADOGUCHI_HASH_KEY.

    Unset is only allowed in development (MADOGUCHI_ENV=development) or under pytest,
    where a fixed, publicly known key is used and a warning is logged.
    """
    value = os.environ.get(HASH_KEY_ENV, "")
    if value:
        return value.encode("utf-8")
    if os.environ.get("MADOGUCHI_ENV") == "development" or _running_under_pytest():
        log.warning("%s is not set: using the fixed development key (user keys are not secret)",
                    HASH_KEY_ENV)
        return DEV_HASH_KEY
    raise MissingHashKey(
        f"{HASH_KEY_ENV} is not set. Set it to a long random secret (e.g. `openssl rand -hex 32`); "
        "it must stay the same across restarts or users lose their settings. "
        "For local development set MADOGUCHI_ENV=development instead."
    )


def _sealer(key: bytes | None = None):
    """Fernet (AES + HMAC) with a key derived from the hash key: one secret to keep, a different key for each use."""
    import base64
    import hashlib
    import hmac

    from cryptography.fernet import Fernet
    k = hmac.new(key or hash_key_from_env(), b"madoguchi sealed spool v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(k))


def seal(data: bytes, key: bytes | None = None) -> str:
    """Encrypt what must wait on disk in full (a LINE event still to be answered: its user ID, its unmasked text)."""
    return _sealer(key).encrypt(data).decode("ascii")


def unseal(token: str, key: bytes | None = None) -> bytes:
    """The sealed bytes; raises ValueError when the token is damaged or was sealed with another key."""
    from cryptography.fernet import InvalidToken
    try:
        return _sealer(key).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as e:
        raise ValueError("sealed data unreadable (damaged, or sealed with another key)") from e


# ---------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------

# Matching runs on a copy of the text in which look-alike characters are replaced
# one-for-one by ASCII (full-width digits/letters, the many dashes, ideographic
# space).  One-for-one keeps offsets identical, so matches are cut out of the
# original text and everything else stays exactly as the resident wrote it.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # full-width ASCII block
_FOLD.update({ord(c): "-" for c in "‐‑‒–—―−ー－﹣"})
_FOLD.update({ord(c): " " for c in "\u3000\u00a0\u2009\u202f"})
_FOLD.update({ord("（"): "(", ord("）"): ")"})

_D = r"[0-9]"
_SEP = r"[ .\-]"  # separators inside phone numbers after folding
# Counters and units that follow ordinary numbers (2027年, 100人, 30%, 9時 ...).
_UNIT = (r"(?:\s?(?:年|月|日|人|件|円|歳|才|%|時|分|秒|回|個|名|万|億|千|倍|本|枚|台|冊|階|頁|週|"
         r"ペ-ジ|メ-トル|キロ|曜|限|期|章|節|項|級|位|度|次|号|番|km|kg|cm|mm|ha|m|g|yen|years?|people|persons?))")
_JNUM = r"(?:[0-9]{1,4}|[一二三四五六七八九十〇]{1,4})"


def _phone_digits_ok(match: re.Match) -> bool:
    digits = re.sub(r"[^0-9]", "", match.group(0))
    return len(digits) in (10, 11)


def _intl_digits_ok(match: re.Match) -> bool:
    return 8 <= len(re.sub(r"[^0-9]", "", match.group(0))) <= 15


def _local_phone_ok(match: re.Match) -> bool:
    return 8 <= len(re.sub(r"[^0-9]", "", match.group(1))) <= 11


# (pattern, placeholder, group to replace, validator).  Order is priority: a span
# claimed by an earlier rule is not looked at by later ones.
_RULES: list[tuple[re.Pattern, str, int, object]] = [
    # LINE user ids: 'U' + 32 lowercase hex.
    (re.compile(r"(?<![0-9A-Za-z])U[0-9a-f]{32}(?![0-9A-Za-z])"), "[LINE-ID]", 0, None),
    # E-mail; the look-behind makes matching start only at a token start (no O(n^2)).
    (re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
     "[メール]", 0, None),
    # Card numbers: 13-19 digits in one run, or in groups of four with one separator.
    (re.compile(r"(?<![0-9\-])(?:[0-9]{13,19}|[0-9]{4}([ \-])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}"
                r"|[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{5})(?![0-9])"), "[カード番号]", 0, None),
    # My Number (12 digits), contiguous or 4-4-4.
    (re.compile(r"(?<![0-9\-])(?:[0-9]{12}|[0-9]{4}([ \-])[0-9]{4}\1[0-9]{4})(?![0-9])"),
     "[個人番号]", 0, None),
    # +81 (and +81 (0)3 ...) Japanese numbers in international form.
    (re.compile(rf"\+\s?81{_SEP}?(?:\(0\)\s?)?\(?{_D}{{1,4}}\)?{_SEP}?{_D}{{1,4}}{_SEP}?{_D}{{3,4}}(?![0-9])"),
     "[電話番号]", 0, None),
    # Other international numbers (+84, +55, +86, +82 ...).
    (re.compile(rf"\+\s?[1-9]{_D}{{0,2}}{_SEP}?\(?{_D}{{1,4}}\)?(?:{_SEP}?{_D}{{2,4}}){{1,4}}(?![0-9])"),
     "[電話番号]", 0, _intl_digits_ok),
    # Domestic numbers starting with 0 (landline, 0120/0800, 050/070/080/090,
    # parentheses around the area code or the local part); 10 or 11 digits.
    (re.compile(rf"(?<![0-9])\(?0{_D}{{1,4}}\)?{_SEP}?\(?{_D}{{1,4}}\)?{_SEP}?{_D}{{3,4}}(?![0-9])"),
     "[電話番号]", 0, _phone_digits_ok),
    # Mainland China mobile numbers (11 digits starting 13-19).
    (re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"), "[電話番号]", 0, None),
    # Local numbers without area code, only next to a phone keyword.
    (re.compile(r"(?i)(?:tel|phone|fone|telefone|電話(?:番号)?|电话|携帯|連絡先|☎|📞|전화|điện thoại|sđt)"
                rf"\s*(?:は|是|[:：])?\s*((?:\(?{_D}{{2,5}}\)?{_SEP}?){{1,3}}{_D}{{3,4}})(?![0-9])"),
     "[電話番号]", 1, _local_phone_ok),
    # Postal codes: after 〒 / 郵便番号 with or without hyphen, else only NNN-NNNN.
    (re.compile(rf"(?:〒|郵便番号|CEP|zip)\s*(?:は|[:：])?\s*({_D}{{3}}-?{_D}{{4}}|{_D}{{5}}-?{_D}{{3}})(?![0-9])", re.I),
     "[郵便番号]", 1, None),
    (re.compile(rf"(?<![0-9\-,.]){_D}{{3}}-{_D}{{4}}(?![0-9\-])(?!{_UNIT})"), "[郵便番号]", 0, None),
    # Japanese street numbers: 1丁目2番3号, 2丁目5-1, 123番地の4, 5番6号, 101号室.
    (re.compile(rf"{_JNUM}丁目\s?{_JNUM}(?:番地?|-)\s?(?:の\s?)?{_JNUM}号?"
                rf"|{_JNUM}丁目\s?{_JNUM}番地?"
                rf"|{_JNUM}番地(?:\s?の\s?{_JNUM}|-{_JNUM})?"
                rf"|{_JNUM}番\s?{_JNUM}号"
                rf"|{_D}{{1,5}}号室"), "[番地]", 0, None),
    # English romanisation: "2-chome 3-4", "1 Chome-2-3".
    (re.compile(rf"{_D}{{1,2}}\s?-?\s?chome\s?[-,]?\s?{_D}{{1,4}}(?:-{_D}{{1,4}}){{0,2}}", re.I),
     "[番地]", 0, None),
    # 〇〇町1-2, 千代田1-1: two or more groups right after a place name (kanji).
    # Not after 第 / weekdays / 年度 (第1-2回, 土日 10-16, 年度 2026-2027), not years,
    # not before a counter (令和5-6年, 3-4人).
    (re.compile(rf"(?<=[\u4e00-\u9fff])(?<![第曜月火水木金土日年度])\s?(?!(?:19|20){_D}{_D}-)"
                rf"({_D}{{1,4}}(?:-{_D}{{1,4}}){{1,3}})(?![0-9\-])(?!{_UNIT})"),
     "[番地]", 1, None),
    # 1-2-3 anywhere (西新宿2-8-1, "1-2-3 Honcho"); not dates (2024-01-15) nor "2-3-4歳".
    (re.compile(rf"(?<![0-9\-]){_D}{{1,2}}-{_D}{{1,4}}-{_D}{{1,3}}(?:-{_D}{{1,4}})?(?![0-9\-])(?!{_UNIT})"),
     "[番地]", 0, None),
    # Chinese road numbers (中山路123号), Korean road/lot numbers (세종대로 110, 123번지).
    (re.compile(rf"(?<=[路街巷弄]){_D}{{1,5}}(?:-{_D}{{1,4}})?号"), "[番地]", 0, None),
    (re.compile(rf"{_D}{{1,5}}(?:-{_D}{{1,4}})?번지"), "[番地]", 0, None),
    (re.compile(rf"(?<=[가-힣][로길])\s?({_D}{{1,4}}(?:-{_D}{{1,4}})?)(?![0-9])"
                r"(?!\s?(?:분|명|원|년|시|개|번|일|월|%|세|살|층|km|m))"), "[番地]", 1, None),
    # Portuguese / English street names followed by a house number.
    (re.compile(rf"\b(?:Rua|Avenida|Av\.|Travessa|Alameda)\s[^\n,0-9]{{1,40}},?\s"
                rf"(?:n[º°o]\.?\s?)?({_D}{{1,5}})(?![0-9])"), "[番地]", 1, None),
]


def _mask_once(text: str) -> str:
    folded = text.translate(_FOLD)
    spans: list[tuple[int, int, str]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for pattern, placeholder, group, validate in _RULES:
        for m in pattern.finditer(folded):
            if validate is not None and not validate(m):
                continue
            start, end = m.span(group)
            if start < end and free(start, end):
                spans.append((start, end, placeholder))
    if not spans:
        return text
    out, pos = [], 0
    for start, end, placeholder in sorted(spans):
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask(text: str) -> str:
    """Replace personal data in `text` by placeholders such as [電話番号].

    Applied until nothing changes, so mask(mask(x)) == mask(x): removing one match
    can expose another (its neighbour is no longer a digit).  Every replacement
    removes digits, '@' or hex letters and adds none, so the loop ends.
    """
    while text:
        masked = _mask_once(text)
        if masked == text:
            break
        text = masked
    return text
