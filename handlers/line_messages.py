"""Answer objects in, LINE message dicts out (Messaging API JSON), always within LINE's limits."""
from __future__ import annotations

from urllib.parse import urlencode

from bot.languages import LANGUAGES, NATIVE_NAMES
from handlers.line_limits import (MAX_ALT_TEXT, MAX_BUBBLE_BYTES, MAX_MESSAGES, MAX_POSTBACK_DATA, MAX_QUICK_REPLY,
                                  bubble_size, cut_utf16, label, split_text)

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
}


def ui(key: str, lang: str) -> str:
    d = UI[key]
    return d.get(lang) or d["en"]


def postback(data: dict) -> str:
    s = urlencode(data)
    if len(s) > MAX_POSTBACK_DATA:             # never exceed: drop the longest values first
        data = {k: (v[:40] if isinstance(v, str) else v) for k, v in data.items()}
        s = urlencode(data)[:MAX_POSTBACK_DATA]
    return s


def qr_postback(lbl: str, data: dict, display: str | None = None) -> dict:
    act = {"type": "postback", "label": label(lbl), "data": postback(data)}
    if display:
        act["displayText"] = cut_utf16(display, 300)
    return {"type": "action", "action": act}


def qr_message(lbl: str, text: str) -> dict:
    return {"type": "action", "action": {"type": "message", "label": label(lbl), "text": cut_utf16(text, 300)}}


def language_items() -> list[dict]:
    return [qr_postback(NATIVE_NAMES[l], {"a": "lang", "l": l}, NATIVE_NAMES[l]) for l in LANGUAGES]


def quick_reply(items: list[dict]) -> dict | None:
    items = items[:MAX_QUICK_REPLY]
    return {"items": items} if items else None


def text_messages(text: str, items: list[dict] | None = None, max_messages: int = MAX_MESSAGES) -> list[dict]:
    chunks = split_text(text)[:max_messages] or ["…"]
    msgs = [{"type": "text", "text": c} for c in chunks]
    qr = quick_reply(items or [])
    if qr:
        msgs[-1]["quickReply"] = qr
    return msgs


def _box(contents, layout="vertical", **kw):
    return {"type": "box", "layout": layout, "contents": contents, **kw}


def _text(t, **kw):
    return {"type": "text", "text": t or " ", "wrap": True, **kw}


def answer_bubble(a: dict, message_id: int | None) -> dict:
    """The answer card: title, answer, 担当課 box, target line, source, feedback buttons."""
    lang = a.get("language", "ja")
    body_text = a.get("body") or a.get("text", "")
    body = [_text(a.get("title") or "", weight="bold", size="md")]
    body.append(_text(cut_utf16(body_text, 2000), size="sm"))
    if a.get("target_line"):
        body.append(_text(a["target_line"], size="sm", color="#1a7f37", weight="bold"))
    sec = []
    for c in a.get("contacts", [])[:2]:
        line = c.get("name", "")
        if c.get("name_local") and lang not in ("ja", "ja-easy") and c["name_local"] != c.get("name"):
            line = f"{c['name_local']} ({c['name']})"
        sec.append(_text(line, size="sm", weight="bold"))
        extra = " / ".join(x for x in (c.get("phone"), c.get("hours"), c.get("place")) if x)
        if extra:
            sec.append(_text(extra, size="xs", color="#555555"))
    if sec:
        body.append(_box([_text(ui("section", lang), size="xs", color="#555555")] + sec,
                         backgroundColor="#f3f6fa", paddingAll="8px", cornerRadius="6px", margin="md"))
    srcs = "; ".join(" ".join(x for x in (s.get("document", ""), s.get("section", "")) if x) for s in a.get("sources", [])[:2])
    if srcs:
        body.append(_text(cut_utf16(srcs, 300), size="xxs", color="#888888", margin="md"))
    mid = str(message_id or "")
    footer = _box([
        {"type": "button", "style": "primary", "height": "sm",
         "action": {"type": "postback", "label": label(ui("helpful", lang)),
                    "data": postback({"a": "fb", "v": "helpful", "m": mid}), "displayText": ui("helpful", lang)}},
        {"type": "button", "style": "secondary", "height": "sm",
         "action": {"type": "postback", "label": label(ui("not_helpful", lang)),
                    "data": postback({"a": "fb", "v": "not_helpful", "m": mid}), "displayText": ui("not_helpful", lang)}},
    ], layout="horizontal", spacing="sm")
    bubble = {"type": "bubble", "body": _box(body, spacing="sm"), "footer": footer}
    while bubble_size(bubble) > MAX_BUBBLE_BYTES:      # shorten the answer text until the bubble fits
        t = bubble["body"]["contents"][1]["text"]
        bubble["body"]["contents"][1]["text"] = cut_utf16(t, max(50, len(t) * 2 // 3))
    return bubble


def answer_messages(a: dict, message_id: int | None = None) -> list[dict]:
    """One reply (≤ 5 messages) for an answer object."""
    lang = a.get("language", "ja")
    person = qr_message(ui("person", lang), ui("person", lang))
    if a["kind"] == "answer":
        bubble = answer_bubble(a, message_id)
        alt = cut_utf16(a.get("text", ""), MAX_ALT_TEXT)
        items = [qr_postback(r["title"], {"a": "ask", "e": r["entry_id"]}, r["title"]) for r in a.get("related", [])[:4]]
        msg = {"type": "flex", "altText": alt or "…", "contents": bubble}
        qr = quick_reply(items + [person])
        if qr:
            msg["quickReply"] = qr
        return [msg]
    if a["kind"] == "choices":
        items = [qr_postback(c["title"], {"a": "ask", "e": c["entry_id"]}, c["title"]) for c in a.get("choices", [])[:12]]
        return text_messages(a["text"], items + [person])
    if a["kind"] == "fallback":
        return text_messages(a["text"], [person, qr_postback(ui("language", lang), {"a": "langmenu"})])
    return text_messages(a["text"], [qr_postback(ui("language", lang), {"a": "langmenu"})])


def enforce(messages: list[dict]) -> list[dict]:
    """Last line of defence before sending: at most 5 messages, texts and alt texts within limits."""
    out = []
    for m in messages[:MAX_MESSAGES]:
        if m.get("type") == "text":
            m["text"] = cut_utf16(m["text"], 5000) or "…"
        if m.get("type") == "flex":
            m["altText"] = cut_utf16(m.get("altText") or "…", MAX_ALT_TEXT)
        qr = m.get("quickReply")
        if qr:
            qr["items"] = qr["items"][:MAX_QUICK_REPLY]
            for it in qr["items"]:
                it["action"]["label"] = label(it["action"].get("label", ""))
                if "data" in it["action"]:
                    it["action"]["data"] = it["action"]["data"][:MAX_POSTBACK_DATA]
        out.append(m)
    return out
