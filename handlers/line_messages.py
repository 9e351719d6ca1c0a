"""Answer objects in, LINE message dicts out (Messaging API JSON), always within LINE's limits."""
from __future__ import annotations

import copy
import logging
import re
from urllib.parse import quote, urlencode

from bot.languages import LANGUAGES, NATIVE_NAMES
from handlers.line_limits import (MAX_ALT_TEXT, MAX_BUBBLE_BYTES, MAX_DISPLAY_TEXT, MAX_MESSAGE_ACTION_TEXT,
                                  MAX_MESSAGES, MAX_POSTBACK_DATA, MAX_QUICK_REPLY, MAX_TEXT_UTF16, bubble_size,
                                  cut_utf16, fit_chunks, label, split_text, utf16_len)

log = logging.getLogger("madoguchi.line")

UI = {   # short button labels per language (≤ 20 characters)
    "helpful": {"ja": "役に立った", "ja-easy": "やくに たった", "en": "Helpful", "zh": "有帮助", "ko": "도움이 됨",
                "vi": "Hữu ích", "tl": "Nakatulong", "pt": "Ajudou", "ne": "उपयोगी", "id": "Membantu"},
    "not_helpful": {"ja": "役に立たなかった", "ja-easy": "やくに たたなかった", "en": "Not helpful", "zh": "没有帮助",
                    "ko": "도움이 안 됨", "vi": "Không hữu ích", "tl": "Hindi nakatulong", "pt": "Não ajudou",
                    "ne": "उपयोगी भएन", "id": "Tidak membantu"},
    "person": {"ja": "人と話したい", "ja-easy": "人と はなしたい", "en": "Talk to a person", "zh": "转人工",
               "ko": "직원과 상담", "vi": "Nói chuyện với người", "tl": "Kausapin ang tao", "pt": "Falar com alguém",
               "ne": "मानिससँग कुरा", "id": "Bicara dengan petugas"},
    "language": {"ja": "言語", "ja-easy": "ことば", "en": "Language", "zh": "语言", "ko": "언어", "vi": "Ngôn ngữ",
                 "tl": "Wika", "pt": "Idioma", "ne": "भाषा", "id": "Bahasa"},
    "section": {"ja": "担当課", "ja-easy": "たんとう", "en": "Section in charge", "zh": "负责部门", "ko": "담당 부서",
                "vi": "Bộ phận phụ trách", "tl": "Seksyon", "pt": "Seção responsável", "ne": "जिम्मेवार शाखा",
                "id": "Bagian"},
    "thanks_feedback": {"ja": "ご意見ありがとうございます。今後の改善に生かします。", "ja-easy": "ありがとう ございます。",
                        "en": "Thank you for your feedback.", "zh": "感谢您的反馈。", "ko": "의견 감사합니다.",
                        "vi": "Cảm ơn phản hồi của bạn.", "tl": "Salamat sa iyong puna.", "pt": "Obrigado pelo retorno.",
                        "ne": "प्रतिक्रियाका लागि धन्यवाद।", "id": "Terima kasih atas masukan Anda."},
    "language_set": {"ja": "日本語で答えます。", "ja-easy": "やさしい にほんごで こたえます。", "en": "I will answer in English.",
                     "zh": "我会用中文回答。", "ko": "한국어로 답하겠습니다.", "vi": "Tôi sẽ trả lời bằng tiếng Việt.",
                     "tl": "Sasagot ako sa Tagalog.", "pt": "Vou responder em português.",
                     "ne": "म नेपालीमा जवाफ दिनेछु।", "id": "Saya akan menjawab dalam bahasa Indonesia."},
    "choose_language": {"ja": "言語を選んでください。", "ja-easy": "ことばを えらんで ください。",
                        "en": "Please choose your language.", "zh": "请选择语言。", "ko": "언어를 선택해 주세요.",
                        "vi": "Hãy chọn ngôn ngữ.", "tl": "Pumili ng wika.", "pt": "Escolha o idioma.",
                        "ne": "भाषा छान्नुहोस्।", "id": "Silakan pilih bahasa."},
    "text_only": {"ja": "文字で質問してください。", "ja-easy": "もじで しつもんして ください。",
                  "en": "Please send your question as text.", "zh": "请用文字提问。", "ko": "글자로 질문해 주세요.",
                  "vi": "Vui lòng đặt câu hỏi bằng chữ.", "tl": "Pakisulat ang iyong tanong.",
                  "pt": "Por favor, envie sua pergunta por texto.", "ne": "कृपया प्रश्न अक्षरमा लेख्नुहोस्।",
                  "id": "Silakan kirim pertanyaan dalam bentuk teks."},
    "sticker": {"ja": "スタンプありがとうございます！質問を文章で送ってください。", "ja-easy": "スタンプ ありがとう！ しつもんを 文(ぶん)で おくって ください。",
                "en": "Thanks for the sticker! Send me your question in words.", "zh": "谢谢您的贴图！请用文字发送问题。",
                "ko": "스티커 감사합니다! 질문을 글로 보내 주세요.", "vi": "Cảm ơn nhãn dán! Hãy gửi câu hỏi bằng chữ.",
                "tl": "Salamat sa sticker! Isulat ang iyong tanong.", "pt": "Obrigado pela figurinha! Envie sua pergunta por escrito.",
                "ne": "स्टिकरका लागि धन्यवाद! प्रश्न लेखेर पठाउनुहोस्।", "id": "Terima kasih stikernya! Kirim pertanyaan dalam kata-kata."},
    "rate_limited": {"ja": "少し時間をおいてください。", "ja-easy": "すこし まって ください。",
                     "en": "Please wait a moment before sending more.", "zh": "请稍后再试。", "ko": "잠시 후에 다시 보내 주세요.",
                     "vi": "Vui lòng đợi một chút.", "tl": "Maghintay muna sandali.", "pt": "Aguarde um pouco, por favor.",
                     "ne": "कृपया केही समय पर्खनुहोस्।", "id": "Mohon tunggu sebentar."},
    "deleted": {"ja": "あなたの記録を削除しました。", "ja-easy": "あなたの きろくを けしました。",
                "en": "Your records have been deleted.", "zh": "您的记录已删除。", "ko": "기록을 삭제했습니다.",
                "vi": "Dữ liệu của bạn đã được xóa.", "tl": "Nabura na ang iyong mga tala.", "pt": "Seus registros foram apagados.",
                "ne": "तपाईंका रेकर्डहरू मेटाइए।", "id": "Data Anda telah dihapus."},
    "handoff": {"ja": "担当者におつなぎします。下の窓口へお問い合わせください。", "ja-easy": "かかりの 人に つたえます。下(した)の まどぐちに きいて ください。",
                "en": "I have passed your request to city staff. You can also contact:", "zh": "已转告市工作人员。您也可以联系：",
                "ko": "시 직원에게 전달했습니다. 다음 창구에 문의하실 수도 있습니다:", "vi": "Tôi đã chuyển yêu cầu cho nhân viên. Bạn cũng có thể liên hệ:",
                "tl": "Ipinasa ko sa kawani ng lungsod. Maaari mo ring kontakin:", "pt": "Encaminhei seu pedido à equipe da prefeitura. Você também pode contatar:",
                "ne": "तपाईंको अनुरोध कर्मचारीलाई पठाइयो। तपाईं यहाँ पनि सम्पर्क गर्न सक्नुहुन्छ:", "id": "Permintaan Anda sudah diteruskan ke petugas. Anda juga dapat menghubungi:"},
    "source": {"ja": "出典", "ja-easy": "でどころ", "en": "Source", "zh": "出处", "ko": "출처", "vi": "Nguồn",
               "tl": "Pinagmulan", "pt": "Fonte", "ne": "स्रोत", "id": "Sumber"},
    "phone": {"ja": "電話", "ja-easy": "でんわ", "en": "Phone", "zh": "电话", "ko": "전화", "vi": "Điện thoại",
              "tl": "Telepono", "pt": "Telefone", "ne": "फोन", "id": "Telepon"},
    "hours": {"ja": "受付", "ja-easy": "じかん", "en": "Hours", "zh": "时间", "ko": "시간", "vi": "Giờ", "tl": "Oras",
              "pt": "Horário", "ne": "समय", "id": "Jam"},
    "place": {"ja": "場所", "ja-easy": "ばしょ", "en": "Place", "zh": "地点", "ko": "장소", "vi": "Địa điểm",
              "tl": "Lugar", "pt": "Local", "ne": "स्थान", "id": "Tempat"},
    "more": {"ja": "続き", "ja-easy": "つづき", "en": "continued", "zh": "续", "ko": "계속", "vi": "tiếp", "tl": "karugtong",
             "pt": "continuação", "ne": "बाँकी", "id": "lanjutan"},
}


def ui(key: str, lang: str) -> str:
    d = UI[key]
    return d.get(lang) or d["en"]


# ------------------------------------------------------------------------------------------------ actions

def postback(data: dict) -> str:
    """urlencoded postback data, never over 300 characters: the longest value is shortened (at a character
    boundary, so the percent-encoding stays whole) until it fits."""
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    s = urlencode(data)
    while len(s) > MAX_POSTBACK_DATA:
        k = max(data, key=lambda k: len(quote(data[k], safe="")))
        v = data[k]
        over = len(s) - MAX_POSTBACK_DATA
        keep = len(v) - max(1, over // 9)       # a character encodes to ≤ 9 characters (%XX%XX%XX)
        if keep <= 0:
            data[k] = ""
        else:
            data[k] = v[:keep]
        s = urlencode(data)
        if all(not x for x in data.values()):
            s = s[:MAX_POSTBACK_DATA]
            break
    return s


def postback_action(lbl: str, data: dict, display: str | None = None) -> dict:
    act = {"type": "postback", "label": label(lbl), "data": postback(data)}
    if display:
        act["displayText"] = cut_utf16(display, MAX_DISPLAY_TEXT)
    return act


def qr_postback(lbl: str, data: dict, display: str | None = None) -> dict:
    return {"type": "action", "action": postback_action(lbl, data, display)}


def qr_message(lbl: str, text: str) -> dict:
    return {"type": "action", "action": {"type": "message", "label": label(lbl),
                                         "text": cut_utf16(text, MAX_MESSAGE_ACTION_TEXT) or label(lbl)}}


def language_items() -> list[dict]:
    """The 10 languages as quick replies, each labelled in itself."""
    return [qr_postback(NATIVE_NAMES[l], {"a": "lang", "l": l}, NATIVE_NAMES[l]) for l in LANGUAGES]


def person_item(lang: str) -> dict:
    return qr_message(ui("person", lang), ui("person", lang))


def language_menu_item(lang: str) -> dict:
    return qr_postback(ui("language", lang), {"a": "langmenu"}, ui("language", lang))


def quick_reply(items: list[dict]) -> dict | None:
    seen, out = set(), []
    for it in items:
        key = (it["action"].get("label"), it["action"].get("data") or it["action"].get("text"))
        if key in seen:
            continue
        seen.add(key)
        out.append(it)
    out = out[:MAX_QUICK_REPLY]
    return {"items": out} if out else None


# ------------------------------------------------------------------------------------------------ text

def text_messages(text: str, items: list[dict] | None = None, max_messages: int = MAX_MESSAGES) -> list[dict]:
    """A text as one or more text messages (split at sentence ends), quick replies on the last one."""
    chunks = fit_chunks(split_text(clean(text)), max_messages) or ["…"]
    msgs = [{"type": "text", "text": c} for c in chunks]
    qr = quick_reply(items or [])
    if qr:
        msgs[-1]["quickReply"] = qr
    return msgs


# ------------------------------------------------------------------------------------------------ Flex card

def _box(contents, layout="vertical", **kw):
    return {"type": "box", "layout": layout, "contents": contents, **kw}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(t) -> str:
    """No control characters (each would cost 6 bytes of JSON and means nothing on a phone)."""
    return _CONTROL.sub(" ", str(t or ""))


def _text(t, **kw):
    t = clean(t).strip()
    return {"type": "text", "text": t or " ", "wrap": True, **kw}


_TRAILING_JA = re.compile(r"\s*[（(]([^()（）]*)[)）]\s*$")


def contact_names(c: dict, lang: str) -> tuple[str, str | None]:
    """(Japanese name, translated name or None). The translated name is given only for a reply that is not in
    Japanese; a trailing "(秘書広報課)" that repeats the Japanese name is left out."""
    ja = (c.get("name") or "").strip()
    if lang in ("ja", "ja-easy"):
        return ja, None
    local = (c.get("name_local") or "").strip()
    m = _TRAILING_JA.search(local)
    if m and m.group(1).strip() == ja:
        local = local[:m.start()].strip()
    if not local or local == ja:
        return ja, None
    return ja, local


def contact_box(contacts: list[dict], lang: str) -> dict | None:
    rows = []
    for c in contacts[:3]:
        ja, local = contact_names(c, lang)
        ja, local = cut_utf16(ja, 200), (cut_utf16(local, 200) if local else None)
        if not ja and not local:
            continue
        rows.append(_text(ja or local, size="sm", weight="bold", color="#111111"))
        if local and ja:
            rows.append(_text(local, size="xs", color="#333333"))
        for key in ("phone", "hours", "place"):
            v = (c.get(key) or "").strip() if isinstance(c.get(key), str) else ""
            if v:
                rows.append(_box([_text(ui(key, lang), size="xs", color="#777777", flex=2),
                                  _text(cut_utf16(v, 200), size="xs", color="#333333", flex=5)],
                                 layout="baseline", spacing="sm"))
    if not rows:
        return None
    return _box([_text(ui("section", lang), size="xxs", color="#555555")] + rows,
                backgroundColor="#f3f6fa", paddingAll="10px", cornerRadius="6px", margin="md", spacing="xs")


def sources_line(a: dict) -> str:
    srcs = "; ".join(" ".join(str(x) for x in (s.get("document", ""), s.get("section", "")) if x)
                     for s in (a.get("sources") or [])[:2] if isinstance(s, dict))
    return srcs.strip()


def _feedback_footer(lang: str, message_id) -> dict:
    mid = "" if message_id is None else str(message_id)
    return _box([
        {"type": "button", "style": "primary", "height": "sm", "color": "#2e7d32",
         "action": postback_action(ui("helpful", lang), {"a": "fb", "v": "helpful", "m": mid}, ui("helpful", lang))},
        {"type": "button", "style": "secondary", "height": "sm",
         "action": postback_action(ui("not_helpful", lang), {"a": "fb", "v": "not_helpful", "m": mid},
                                   ui("not_helpful", lang))},
    ], layout="horizontal", spacing="sm")


BODY_INDEX = 1          # position of the answer text in the bubble body


def answer_bubble(a: dict, message_id: int | None, body_text: str | None = None) -> dict:
    """The answer card: title, answer, target line, 担当課 box, source in small print, feedback buttons."""
    lang = a.get("language") or "ja"
    if body_text is None:
        body_text = a.get("body") or a.get("text") or ""
    body = [_text(cut_utf16(a.get("title") or "", 400), weight="bold", size="md"),
            _text(body_text, size="sm")]
    if a.get("target_line"):
        body.append(_box([_text(cut_utf16(a["target_line"], 400), size="sm", color="#1a7f37", weight="bold")],
                         backgroundColor="#eef8f0", paddingAll="8px", cornerRadius="6px", margin="md"))
    box = contact_box(a.get("contacts") or [], lang)
    if box:
        body.append(box)
    src = sources_line(a)
    if src:
        body.append(_text(cut_utf16(f"{ui('source', lang)}: {src}", 600), size="xxs", color="#888888", margin="md"))
    return {"type": "bubble", "size": "mega", "body": _box(body, spacing="sm"),
            "footer": _feedback_footer(lang, message_id)}


def _fit_body(a: dict, message_id, body_text: str) -> tuple[dict, str]:
    """The bubble with as much of the answer as fits in 30 KB (cut at a sentence end), and the rest."""
    bubble = answer_bubble(a, message_id, body_text)
    if bubble_size(bubble) <= MAX_BUBBLE_BYTES:
        return bubble, ""
    room = MAX_BUBBLE_BYTES - bubble_size(answer_bubble(a, message_id, "")) - 64
    # each UTF-16 unit costs at most 3 bytes of UTF-8 JSON (a surrogate pair: 4 bytes for 2 units), escapes aside
    budget = max(200, room // 3)
    while True:
        head = split_text(body_text, budget)
        first = head[0] if head else ""
        # split_text strips; find where the head ends in the original
        rest = body_text[body_text.find(first) + len(first):] if first else body_text
        bubble = answer_bubble(a, message_id, first + " …")
        if bubble_size(bubble) <= MAX_BUBBLE_BYTES or budget <= 50:
            return bubble, rest.strip()
        budget = budget * 3 // 4


def alt_text(a: dict, limit: int = 400) -> str:
    """The answer's first lines, for notifications and chat lists (≤ 1,500 characters)."""
    lines = [clean(a.get("title"))] + clean(a.get("body") or a.get("text")).splitlines()
    out = ""
    for l in (x.strip() for x in lines):
        if not l:
            continue
        cand = (out + "\n" + l) if out else l
        if utf16_len(cand) > limit:
            if not out:
                out = cut_utf16(l, limit)
            break
        out = cand
    return cut_utf16(out or "…", MAX_ALT_TEXT)


def answer_messages(a: dict, message_id: int | None = None) -> list[dict]:
    """One reply (≤ 5 messages) for an answer object: a Flex card for answers, text with quick replies otherwise."""
    lang = a.get("language") or "ja"
    kind = a.get("kind")
    person = person_item(lang)
    if kind == "answer":
        bubble, rest = _fit_body(a, message_id, a.get("body") or a.get("text") or "")
        msgs = [{"type": "flex", "altText": alt_text(a), "contents": bubble}]
        if rest:
            msgs += text_messages(f"（{ui('more', lang)}）\n" + rest, max_messages=MAX_MESSAGES - 1)
        related = [r for r in (a.get("related") or []) if isinstance(r, dict) and r.get("entry_id")][:MAX_QUICK_REPLY - 2]
        items = [qr_postback(r.get("title") or r["entry_id"], {"a": "ask", "e": r["entry_id"]},
                             r.get("title") or r["entry_id"]) for r in related]
        qr = quick_reply(items + [person, language_menu_item(lang)])
        if qr:
            msgs[-1]["quickReply"] = qr
        return msgs
    if kind == "choices":
        choices = [c for c in (a.get("choices") or []) if isinstance(c, dict) and c.get("entry_id")][:MAX_QUICK_REPLY - 1]
        items = [qr_postback(c.get("title") or c["entry_id"], {"a": "ask", "e": c["entry_id"]},
                             c.get("title") or c["entry_id"]) for c in choices]
        return text_messages(a.get("text") or "…", items + [person])
    if kind == "fallback":
        return text_messages(a.get("text") or "…", [person, language_menu_item(lang)])
    return text_messages(a.get("text") or "…", [language_menu_item(lang), person])


# ------------------------------------------------------------------------------------------------ last line

def _fix_actions(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "action" and isinstance(v, dict):
                if "label" in v:
                    v["label"] = label(v["label"])
                if v.get("type") == "postback":
                    v["data"] = (v.get("data") or "-")[:MAX_POSTBACK_DATA]
                    if v.get("displayText"):
                        v["displayText"] = cut_utf16(v["displayText"], MAX_DISPLAY_TEXT)
                if v.get("type") == "message":
                    v["text"] = cut_utf16(v.get("text") or v.get("label") or "…", MAX_MESSAGE_ACTION_TEXT)
            _fix_actions(v)
    elif isinstance(obj, list):
        for v in obj:
            _fix_actions(v)


def enforce(messages: list[dict]) -> list[dict]:
    """Last line of defence before sending: every limit of ../shared/docs/line-messaging-api.md §2 holds after this.

    Over-long texts are split (at sentence ends) into more messages while there is room, and shortened with '…'
    only when 5 messages cannot hold them; a reply is never emptied."""
    msgs = copy.deepcopy([m for m in messages if isinstance(m, dict)]) or [{"type": "text", "text": "…"}]
    out: list[dict] = []
    for i, m in enumerate(msgs):
        if m.get("type") == "text":
            chunks = split_text(clean(m.get("text"))) or ["…"]
            later = len(msgs) - i - 1
            room = max(1, MAX_MESSAGES - len(out) - later)
            chunks = fit_chunks(chunks, room)
            qr = m.pop("quickReply", None)
            for c in chunks:
                out.append({**m, "text": c})
            if qr:
                out[-1]["quickReply"] = qr
            continue
        if m.get("type") == "flex":
            m["altText"] = cut_utf16(m.get("altText") or "…", MAX_ALT_TEXT) or "…"
            c = m.get("contents") or {}
            if c.get("type") == "bubble" and bubble_size(c) > MAX_BUBBLE_BYTES:
                log.warning("bubble over 30 KB at the last line: sending the alt text instead")
                m = {"type": "text", "text": cut_utf16(m["altText"], MAX_TEXT_UTF16),
                     **({"quickReply": m["quickReply"]} if m.get("quickReply") else {})}
        out.append(m)
    if len(out) > MAX_MESSAGES:                  # keep the quick replies of the last message on the last one kept
        qr = out[-1].get("quickReply")
        out = out[:MAX_MESSAGES]
        if qr and "quickReply" not in out[-1]:
            out[-1]["quickReply"] = qr
    for m in out:
        qr = m.get("quickReply")
        if qr is not None:
            items = (qr.get("items") or [])[:MAX_QUICK_REPLY]
            if items:
                qr["items"] = items
            else:
                m.pop("quickReply")
        _fix_actions(m)
    return out


def sdk_accepts(messages: list[dict]) -> bool:
    """Whether linebot.v3's ReplyMessageRequest model takes these messages (what send_reply relies on)."""
    from linebot.v3.messaging import ReplyMessageRequest
    try:
        ReplyMessageRequest.from_dict({"replyToken": "x" * 32, "messages": messages})
        return True
    except Exception:
        return False
