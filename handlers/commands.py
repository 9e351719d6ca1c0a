"""Words a resident types that are commands rather than questions, in every language."""
from __future__ import annotations

import re
import unicodedata

LANGUAGE_WORDS = {"言語", "げんご", "ことば", "言葉", "language", "languages", "lang", "语言", "語言", "언어", "ngôn ngữ",
                  "ngon ngu", "wika", "idioma", "línguas", "भाषा", "bahasa", "言語を変える", "言語を選ぶ", "change language"}
PERSON_WORDS = {"人と話したい", "ひとと はなしたい", "ひとと話したい", "人と はなしたい", "担当者と話したい", "職員と話したい",
                "オペレーター", "talk to a person", "talk to someone", "talk to a human", "speak to a person", "human",
                "转人工", "我想和工作人员说话", "직원과 상담", "사람과 이야기하고 싶어요", "nói chuyện với người",
                "kausapin ang tao", "falar com alguém", "falar com uma pessoa", "मानिससँग कुरा", "bicara dengan petugas"}
DELETE_WORDS = {"データを削除", "データを削除して", "データを消して", "わたしの データを けして", "delete my data", "delete my records",
                "删除我的数据", "내 데이터 삭제", "xóa dữ liệu của tôi", "burahin ang aking data", "apagar meus dados",
                "मेरो डाटा मेटाउनुहोस्", "hapus data saya"}


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s。．.!！?？、,]+$", "", re.sub(r"\s+", " ", t))


_LANG = {_norm(w) for w in LANGUAGE_WORDS}
_PERSON = sorted({_norm(w) for w in PERSON_WORDS}, key=len, reverse=True)
_DELETE = {_norm(w) for w in DELETE_WORDS}


def command_of(text: str) -> str | None:
    """"language", "person", "delete" when the whole message is one of those words, else None."""
    t = _norm(text or "")
    if t in _LANG:
        return "language"
    if t in _PERSON:
        return "person"
    if t in _DELETE:
        return "delete"
    return None


def split_command(text: str) -> tuple[str | None, str]:
    """(command, the rest): also catches 「人と話したい。住民票のことで…」, a request for a person followed by the
    question, so staff get the question with the request. Other commands must stand alone."""
    cmd = command_of(text)
    if cmd:
        return cmd, ""
    t = unicodedata.normalize("NFKC", text or "").strip()
    for w in _PERSON:
        pat = r"\s*".join(re.escape(part) for part in w.split(" "))
        # Latin phrases need punctuation after them ("human rights" is a question); Japanese ones need nothing
        sep = r"\s*[。．.!！?？、,，:：;；\-—]+\s*" if w.isascii() else r"[\s。．.!！?？、,，:：;；\-—]*"
        m = re.match(pat + sep, t, flags=re.IGNORECASE)
        if m and m.end() < len(t):
            return "person", t[m.end():].strip()
    return None, text
