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


def command_of(text: str) -> str | None:
    t = _norm(text)
    if t in {_norm(w) for w in LANGUAGE_WORDS}:
        return "language"
    if t in {_norm(w) for w in PERSON_WORDS}:
        return "person"
    if t in {_norm(w) for w in DELETE_WORDS}:
        return "delete"
    return None
