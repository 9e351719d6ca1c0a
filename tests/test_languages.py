"""Foreign residents ask in their own language and read the answer in it, with the Japanese name of the place to go."""
import re

import pytest

from bot.answer import answer

CONSULT = {
    "en": "Is there a consultation service for foreign residents?",
    "zh": "有没有外国人咨询窗口？",
    "ko": "외국인 상담 창구가 있나요?",
    "vi": "Có quầy tư vấn cho người nước ngoài không?",
    "tl": "May konsultasyon ba para sa mga dayuhang residente?",
    "pt": "Existe atendimento de consulta para estrangeiros?",
    "ne": "विदेशी बासिन्दाका लागि परामर्श सेवा छ?",
    "id": "Apakah ada layanan konsultasi untuk warga asing?",
}
CLASSES = {
    "en": "Where can I learn Japanese?",
    "zh": "哪里可以学日语？",
    "ko": "일본어를 어디서 배울 수 있나요?",
    "vi": "Tôi có thể học tiếng Nhật ở đâu?",
    "tl": "Saan ako puwedeng mag-aral ng wikang Hapon?",
    "pt": "Onde posso aprender japonês?",
    "ne": "म जापानी भाषा कहाँ सिक्न सक्छु?",
    "id": "Di mana saya bisa belajar bahasa Jepang?",
}
JAPANESE_NAME = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]{2,}")


def _check(tenant, text, lang):
    a = answer(tenant, text)
    assert a["answered"], (tenant, lang, a["text"][:120])
    assert a["language"] == lang, (tenant, lang, a["language"])
    names = [c["name"] for c in a["contacts"]]
    assert names and all(JAPANESE_NAME.search(n) for n in names)
    assert any(n in a["text"] for n in names), "the Japanese name to show at the counter is in the reply"


@pytest.mark.parametrize("tenant", ["yonezawa", "iruma", "katori"])
@pytest.mark.parametrize("lang", list(CONSULT))
def test_consultation_for_foreign_residents_in_every_language(tenant, lang):
    _check(tenant, CONSULT[lang], lang)


@pytest.mark.parametrize("tenant", ["yonezawa", "toyota"])
@pytest.mark.parametrize("lang", list(CLASSES))
def test_japanese_classes_in_every_language(tenant, lang):
    _check(tenant, CLASSES[lang], lang)


def test_untranslated_entry_replies_in_plain_japanese_and_english_with_a_note_in_the_residents_language():
    a = answer("katori", "SDGs의 목표는 무엇입니까?")
    if a["answered"] and a["language"] != "ko":
        assert a["language"] == "ja-easy"
        assert "한국어" in a["text"]                       # one line in Korean says why


def test_system_messages_exist_in_every_language():
    from bot.kb.registry import get_kb
    kb = get_kb()
    for key in ("greeting", "help", "thanks", "choices", "fallback", "other_city", "section", "contact_city"):
        for lang in ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "pt", "ne", "id"]:
            assert kb.common["messages"][key].get(lang), (key, lang)
