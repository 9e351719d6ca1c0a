"""bot.privacy: masking cases from tests/data/masking_cases.yaml, properties, user keys."""
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import privacy
from bot.privacy import mask, user_key

CASES = yaml.safe_load((Path(__file__).parent / "data" / "masking_cases.yaml").read_text("utf-8"))["cases"]


def test_enough_cases():
    assert len(CASES) >= 60
    assert sum("expected" not in c for c in CASES) >= 20  # negative cases


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:30] for c in CASES])
def test_masking_case(case):
    expected = case.get("expected", case["input"])
    assert mask(case["input"]) == expected
    assert mask(expected) == expected  # stored text is already stable


# Text built from the pieces the rules look at, so hypothesis explores the
# boundaries (digits next to separators, keywords, placeholders) and not only noise.
_pieces = st.sampled_from(list("0123456789０１２３-－ー ()（）+@.,_Ua-f〒町丁目番地号室路로길")
                          + ["電話", "TEL", "[電話番号]", "[番地]", "chome", "090", "0120", "@x.jp", "Rua a, "])
_texty = st.lists(st.one_of(_pieces, st.text(max_size=3)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), _texty))
def test_mask_idempotent_and_total(text):
    once = mask(text)
    assert isinstance(once, str)
    assert mask(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_text_without_digits_or_at_is_unchanged(text):
    if "@" not in text and "U" not in text:
        assert mask(text) == text


def test_long_input_is_fast():
    import time
    text = ("a" * 5000) + ("1-" * 3000) + "x@" * 2000
    start = time.perf_counter()
    mask(text)
    assert time.perf_counter() - start < 2.0


def test_user_key_stable_and_keyed():
    a = user_key("U0123456789abcdef0123456789abcdef", b"k1")
    assert a == user_key("U0123456789abcdef0123456789abcdef", "k1")
    assert len(a) == 32 and all(c in "0123456789abcdef" for c in a)
    assert a != user_key("U0123456789abcdef0123456789abcdef", b"k2")
    with pytest.raises(ValueError):
        user_key("x", b"")


def test_hash_key_from_env(monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HASH_KEY", "secret")
    assert privacy.hash_key_from_env() == b"secret"
    monkeypatch.delenv("MADOGUCHI_HASH_KEY")
    assert privacy.hash_key_from_env() == privacy.DEV_HASH_KEY  # under pytest


def test_hash_key_required_in_production(monkeypatch):
    monkeypatch.delenv("MADOGUCHI_HASH_KEY", raising=False)
    monkeypatch.setenv("MADOGUCHI_ENV", "production")
    monkeypatch.setattr(privacy, "_running_under_pytest", lambda: False)
    with pytest.raises(privacy.MissingHashKey, match="MADOGUCHI_HASH_KEY"):
        privacy.hash_key_from_env()
    monkeypatch.setenv("MADOGUCHI_ENV", "development")
    assert privacy.hash_key_from_env() == privacy.DEV_HASH_KEY


def test_sealed_data_reads_back_only_with_its_key():
    import pytest as _pytest
    from bot.privacy import seal, unseal
    token = seal("U1234 電話090-1234-5678".encode("utf-8"), key=b"k1")
    assert "U1234" not in token and "090" not in token
    assert unseal(token, key=b"k1").decode("utf-8") == "U1234 電話090-1234-5678"
    with _pytest.raises(ValueError):
        unseal(token, key=b"k2")
    with _pytest.raises(ValueError):
        unseal(token[:-4] + "AAAA", key=b"k1")
