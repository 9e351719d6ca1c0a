"""Answer objects → LINE messages: the card's content, and LINE's documented limits enforced in code."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import line_messages as lm
from handlers.line_limits import (MAX_ALT_TEXT, MAX_BUBBLE_BYTES, MAX_LABEL, MAX_MESSAGES, MAX_POSTBACK_DATA,
                                  MAX_QUICK_REPLY, MAX_TEXT_UTF16, bubble_size, cut_utf16, fit_chunks, label,
                                  split_text, utf16_len, violations)


def _answer(**kw):
    a = {"tenant": "katori", "query": "q", "kind": "answer", "language": "ja", "title": "市長への手紙",
         "body": "市長への手紙は、市民の声を聞く仕組みです。詳しくは秘書広報課へ。", "text": "", "answered": True,
         "contacts": [{"name": "秘書広報課", "name_local": "", "phone": "0478-50-1234", "hours": "平日 8:30-17:15",
                       "place": ""}],
         "sources": [{"document": "第2次香取市総合計画", "section": "6-5 広聴"}],
         "target_line": "目標：30人（令和7年度）",
         "related": [{"entry_id": "katori/faq:f-public-comment", "title": "パブリックコメントはありますか"}]}
    a.update(kw)
    a["text"] = a["text"] or a["body"]
    return a


def _walk(obj, pick) -> list:
    """Every value `pick` finds in a nested message (dicts and lists), depth first."""
    out = []
    if isinstance(obj, dict):
        found = pick(obj)
        if found is not None:
            out.append(found)
        for v in obj.values():
            out += _walk(v, pick)
    elif isinstance(obj, list):
        for v in obj:
            out += _walk(v, pick)
    return out


def _texts(obj) -> list[str]:
    return _walk(obj, lambda d: d["text"] if d.get("type") == "text" and "text" in d else None)


def _actions(obj) -> list[dict]:
    return _walk(obj, lambda d: d["action"] if isinstance(d.get("action"), dict) else None)


# ---------------------------------------------------------------------------------------------- the card

def test_answer_card_has_title_body_target_section_source_and_feedback():
    msgs = lm.answer_messages(_answer(), 42)
    assert len(msgs) == 1 and msgs[0]["type"] == "flex"
    bubble = msgs[0]["contents"]
    texts = _texts(bubble["body"])
    assert texts[0] == "市長への手紙"
    assert "市長への手紙は、市民の声を聞く仕組みです。詳しくは秘書広報課へ。" in texts
    assert "目標：30人（令和7年度）" in texts
    assert "担当課" in texts and "秘書広報課" in texts
    assert "0478-50-1234" in texts and "平日 8:30-17:15" in texts
    assert "場所" not in texts                                     # no place known: no place row
    assert any(t.startswith("出典") and "第2次香取市総合計画" in t for t in texts)
    src = next(c for c in bubble["body"]["contents"] if c.get("text", "").startswith("出典"))
    assert src["size"] == "xxs"                                    # small print
    buttons = bubble["footer"]["contents"]
    assert [b["action"]["label"] for b in buttons] == ["役に立った", "役に立たなかった"]
    assert [b["action"]["type"] for b in buttons] == ["postback", "postback"]
    assert buttons[0]["action"]["data"] == "a=fb&v=helpful&m=42"
    assert buttons[1]["action"]["data"] == "a=fb&v=not_helpful&m=42"
    assert lm.sdk_accepts(msgs)


def test_alt_text_is_the_answers_first_lines():
    body = "\n".join(f"{i}行目の説明です。" for i in range(200))
    msgs = lm.answer_messages(_answer(body=body, text=body), 1)
    alt = msgs[0]["altText"]
    assert alt.startswith("市長への手紙\n0行目の説明です。\n1行目の説明です。")
    assert len(alt) <= MAX_ALT_TEXT and len(alt) < len(body)


def test_section_box_adds_translated_name_only_for_foreign_replies():
    c = {"name": "秘書広報課", "name_local": "Secretarial and Public Relations Division (秘書広報課)", "phone": ""}
    en = _texts(lm.answer_messages(_answer(language="en", contacts=[c]), 1)[0]["contents"]["body"])
    assert "秘書広報課" in en and "Secretarial and Public Relations Division" in en
    assert "Section in charge" in en
    assert not any("(秘書広報課) (秘書広報課)" in t or t == "Phone" for t in en)   # no doubled name, no empty phone
    ja = _texts(lm.answer_messages(_answer(language="ja", contacts=[{**c, "name_local": "秘書広報課"}]), 1)[0])
    assert not any("Secretarial" in t for t in ja)


def test_no_target_line_no_target_box():
    texts = _texts(lm.answer_messages(_answer(target_line=""), 1)[0])
    assert not any(t.startswith("目標") for t in texts)


def test_related_questions_follow_an_answer_as_quick_replies():
    msgs = lm.answer_messages(_answer(), 1)
    items = msgs[-1]["quickReply"]["items"]
    first = items[0]["action"]
    assert first["type"] == "postback" and first["data"] == "a=ask&e=katori%2Ffaq%3Af-public-comment"
    assert first["label"] == "パブリックコメントはありますか"
    assert any(it["action"].get("text") == "人と話したい" for it in items)


def test_choices_become_quick_replies():
    a = {"kind": "choices", "language": "en", "text": "Did you mean:\n1. A\n2. B",
         "choices": [{"entry_id": f"katori/faq:f-{i}", "title": f"Choice number {i} with a long title"} for i in range(20)]}
    msgs = lm.answer_messages(a)
    assert msgs[0]["type"] == "text" and msgs[0]["text"].startswith("Did you mean")
    items = msgs[-1]["quickReply"]["items"]
    assert len(items) == MAX_QUICK_REPLY
    assert items[0]["action"]["data"] == "a=ask&e=katori%2Ffaq%3Af-0"
    assert items[0]["action"]["displayText"] == "Choice number 0 with a long title"
    assert all(len(it["action"]["label"]) <= MAX_LABEL for it in items)
    assert items[-1]["action"]["text"] == "Talk to a person"
    assert violations(msgs) == [] and lm.sdk_accepts(msgs)


def test_language_items_are_the_ten_languages():
    labels = [it["action"]["label"] for it in lm.language_items()]
    assert labels == ["日本語", "やさしい にほんご", "English", "中文", "한국어", "Tiếng Việt", "Tagalog", "Português",
                      "नेपाली", "Bahasa Indonesia"]
    assert all(it["action"]["data"].startswith("a=lang&l=") for it in lm.language_items())


# ---------------------------------------------------------------------------------------------- limits

def test_text_over_5000_units_is_split_at_sentence_ends():
    text = "これは説明の文です。" * 1200                      # 12,000 units
    chunks = split_text(text)
    assert len(chunks) == 3
    assert all(utf16_len(c) <= MAX_TEXT_UTF16 for c in chunks)
    assert all(c.endswith("。") for c in chunks)
    assert "".join(chunks) == text                            # nothing lost


def test_split_counts_utf16_and_never_cuts_a_surrogate_pair():
    text = "😀" * 6000                                         # 12,000 UTF-16 units, no sentence end
    chunks = split_text(text)
    assert all(utf16_len(c) <= MAX_TEXT_UTF16 for c in chunks)
    assert "".join(chunks) == text
    for c in chunks:
        c.encode("utf-8")                                      # a lone surrogate would raise here
    assert len(chunks) == 3


def test_cut_never_splits_emoji_sequences_or_combining_marks():
    family = "👨\u200d👩\u200d👧"                              # ZWJ sequence, 8 units
    s = "ああ" + family + "x"
    for limit in range(3, 12):
        out = cut_utf16(s, limit)
        assert utf16_len(out) <= limit
        out.encode("utf-8")
        assert family in out or "\u200d" not in out           # the whole family or none of it
    nepali = "नमस्ते" * 10
    out = cut_utf16(nepali, 7)
    assert not out.rstrip("…").endswith("\u094d")              # no dangling virama
    flag = "🇯🇵" * 3
    assert cut_utf16(flag, 6) in ("🇯🇵…",)                   # 6 units: one flag and the ellipsis
    assert cut_utf16("x\U0001F44D\U0001F3FD", 3) == "x…"       # thumbs-up with its skin tone, or neither


def test_text_messages_keep_at_most_five_and_shorten_the_last():
    text = "あ。" * 20000                                       # 40,000 units
    msgs = lm.text_messages(text)
    assert len(msgs) == MAX_MESSAGES
    assert msgs[-1]["text"].endswith("…")
    assert violations(msgs) == []


def test_fit_chunks_shortens_rather_than_drops():
    chunks = fit_chunks(["a", "b", "c", "d", "e", "f", "g"], 5)
    assert chunks[:4] == ["a", "b", "c", "d"] and chunks[4] == "e\nf\ng"


def test_labels_are_at_most_20_characters():
    assert label("とても長いラベルの文字列でございますとても長いラベル") == "とても長いラベルの文字列でございますと…"
    assert len(label("x" * 50)) == MAX_LABEL
    assert label("") == "…"


def test_postback_data_is_at_most_300_characters():
    data = lm.postback({"a": "ask", "e": "katori/" + "あ" * 400})
    assert len(data) <= MAX_POSTBACK_DATA and data.startswith("a=ask&e=katori%2F%E3%81%82")
    from urllib.parse import parse_qs
    assert parse_qs(data)["a"] == ["ask"]                      # still parses: no half percent-escape


def test_quick_reply_at_most_13_items():
    items = [lm.qr_message(f"item {i}", f"item {i}") for i in range(30)]
    msgs = lm.enforce(lm.text_messages("hello", items))
    assert len(msgs[-1]["quickReply"]["items"]) == MAX_QUICK_REPLY


def test_long_answer_keeps_the_bubble_under_30kb_and_sends_the_rest_as_text():
    body = "この計画では、地域の担い手を育てるために多くの取組を進めます。" * 1200     # ≈ 100 KB of UTF-8
    msgs = lm.answer_messages(_answer(body=body, text=body), 7)
    assert msgs[0]["type"] == "flex"
    assert bubble_size(msgs[0]["contents"]) <= MAX_BUBBLE_BYTES
    assert len(msgs) <= MAX_MESSAGES
    assert all(m["type"] == "text" for m in msgs[1:]) and len(msgs) > 1
    assert "quickReply" in msgs[-1]
    assert violations(msgs) == [] and lm.sdk_accepts(msgs)


def test_enforce_splits_oversized_text_messages_and_caps_at_five():
    msgs = [{"type": "text", "text": "文。" * 4000}, {"type": "text", "text": "短い"}] + \
           [{"type": "text", "text": str(i)} for i in range(6)]
    out = lm.enforce(msgs)
    assert len(out) == MAX_MESSAGES
    assert violations(out) == []


def test_violations_catches_each_limit():
    bad = [{"type": "text", "text": "x" * 5001,
            "quickReply": {"items": [{"type": "action", "action": {"type": "postback", "label": "y" * 21,
                                                                    "data": "z" * 301}}] * 14}},
           {"type": "flex", "altText": "a" * 1501, "contents": {"type": "bubble", "body": {
               "type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "b" * 40000}]}}}]
    v = " ".join(violations(bad * 3))
    for what in ("messages", "UTF-16", "quick reply items", "label", "postback data", "altText", "bytes"):
        assert what in v, what
    fixed = lm.enforce(bad * 3)
    assert violations(fixed) == [] and lm.sdk_accepts(fixed)


# ---------------------------------------------------------------------------------------------- real answers

TENANTS = ["katori", "iruma", "shinjo", "toyota", "yonezawa"]
QUESTIONS = ["市長への手紙を出したい", "移住の相談はどこでできますか", "How can I send my opinion to the mayor?",
             "ごみ", "こんにちは", "外国人の相談窓口", "xyzzy", "ボランティアを したい", "目標は何ですか",
             "Tôi muốn chuyển đến sống", "마을 활동", "移住😀😀 支援金" * 30]


@pytest.mark.parametrize("tenant", TENANTS)
def test_every_real_answer_passes_the_sdk_and_the_limits(tenant):
    from bot.answer import answer
    from bot.kb.registry import get_kb
    if get_kb().get(tenant) is None:
        pytest.skip(f"no tenant {tenant}")
    kinds = set()
    for q in QUESTIONS:
        for lang in (None, "ja", "ja-easy", "en", "zh", "ne"):
            a = answer(tenant, q, lang)
            kinds.add(a["kind"])
            msgs = lm.enforce(lm.answer_messages(a, 123))
            assert violations(msgs) == [], (q, lang)
            assert lm.sdk_accepts(msgs), (q, lang)
            if a["kind"] == "answer":
                assert msgs[0]["type"] == "flex"        # a normal answer is a card, never the plain-text fallback
    assert "answer" in kinds


# ---------------------------------------------------------------------------------------------- property

_safe = st.characters(blacklist_categories=("Cs",))           # no lone surrogates: not valid text anywhere
_txt = st.text(alphabet=_safe, max_size=80)
_big = st.one_of(_txt, st.text(alphabet=_safe, max_size=3000),
                 st.builds(lambda s, n: s * n, st.sampled_from(["😀", "あ。", "नमस्ते ", "a. ", "\"\\", "👨\u200d👩\u200d👧"]),
                           st.integers(1, 12000)))
_contact = st.fixed_dictionaries({"name": _txt, "name_local": _txt, "phone": _txt, "hours": _txt, "place": _txt})
_ref = st.fixed_dictionaries({"entry_id": st.text(alphabet=_safe, min_size=1, max_size=400), "title": _txt})
_answers = st.fixed_dictionaries({
    "kind": st.sampled_from(["answer", "choices", "fallback", "smalltalk"]),
    "language": st.sampled_from(["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "pt", "ne", "id", "xx"]),
    "title": _big, "body": _big, "text": _big, "target_line": _txt,
    "contacts": st.lists(_contact, max_size=5),
    "sources": st.lists(st.fixed_dictionaries({"document": _big, "section": _txt}), max_size=3),
    "related": st.lists(_ref, max_size=20), "choices": st.lists(_ref, max_size=20),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(a=_answers, mid=st.one_of(st.none(), st.integers(0, 10**12)))
def test_property_every_built_reply_passes_all_limits(a, mid):
    msgs = lm.enforce(lm.answer_messages(a, mid))
    assert violations(msgs) == []
    assert lm.sdk_accepts(msgs)
    json.dumps(msgs, ensure_ascii=False).encode("utf-8")
    if a["kind"] == "answer":
        assert msgs[0]["type"] == "flex"
