"""What kind of entry a question asks for, from cue words: a definition, a target figure, a place to go.

Used as a mild prior on entry kinds: 「〇〇とは」 prefers a glossary term, 「〇〇の目標」 a target, 「どこに相談」 an
FAQ, program or section. Never decides alone.
"""
from __future__ import annotations

import re

from bot import textproc as tp

DEFINE = re.compile(r"(とは|って何|ってなに|ってなん|の意味|意味は|どういう意味|what is|what are|what does .* mean|meaning of|"
                    r"是什么|什么是|意思|含义|무엇입니까|뭐예요|의미|뜻|là gì|nghĩa là|có nghĩa|ano ang|ibig sabihin|"
                    r"o que é|o que significa|significa|apa itu|artinya|arti dari|भनेको के|को अर्थ|मतलब)")
TARGET = re.compile(r"(目標|指標|目標値|現状値|基準値|数値|何件|何人|何団体|何回|何%|何％|割合|率は|どのくらい|どれくらい|"
                    r"もくひょう|target|goal|kpi|how many|how much|indicator|目标|多少|목표|몇|mục tiêu|bao nhiêu|layunin|"
                    r"ilan|meta|quantos|quantas|sasaran|berapa|लक्ष्य|कति)", re.I)
PLACE = re.compile(r"(担当|どこ|窓口|相談|問い合わせ|問合せ|連絡|申し込|申込|参加|利用|使え|できますか|ありますか|"
                   r"たんとう|そうだん|だれ|誰|who|where|contact|apply|join|sign up|which section|department|division|"
                   r"哪里|咨询|部门|어디|상담|부서|ở đâu|phòng nào|saan|seksyon|onde|seção|setor|di mana|bagian|कहाँ|विभाग)",
                   re.I)


# which section (担当課) handles it: the plan names sections on its measures
SECTION = re.compile(r"(担当課|担当の課|どこの課|どちらの課|どっちの課|どの課|何課|担当部署|部署|課は|課を|課が|受け持|たんとうか|which section|which division|"
                     r"which department|responsible|in charge|负责|部门|담당|부서|phòng nào|phụ trách|seksyon|namamahala|"
                     r"seção|setor|responsável|bagian apa|bertanggung jawab|विभाग|शाखा)", re.I)


def kind_prior(text: str) -> dict[str, float]:
    t = tp.fold(text)
    prior = {"faq": 1.0, "program": 1.0, "target": 0.97, "measure": 0.96, "term": 0.86, "section": 0.9}
    if DEFINE.search(t):
        prior.update(term=1.08, program=1.02)
    if TARGET.search(t):
        prior.update(target=1.12, measure=1.0, term=0.8)
    if PLACE.search(t):
        prior.update(faq=1.04, program=1.03, section=0.98, term=0.8)
    if SECTION.search(t):
        prior.update(measure=1.08, section=1.04, target=0.9, term=0.8)
    return prior


# One resident's own case (my application, my tax): the bot holds no one's records, so it must not answer as if it
# did. A possessive and a word about a case's status or amount must both be there: 「私の子どもの申請はどこで」 asks
# where to go, 「うちの申請、通りましたか」 asks about a case.
_MINE = re.compile(r"(うちの|私の|わたしの|自分の|僕の|ぼくの|俺の|我が家の|うちで出した|去年出した|出した申請|"
                   r"\b(?:my|meu|minha|meus|minhas|aking|saya)\b|\bko\b|của tôi|"
                   r"我的|我家|(?<![\uac00-\ud7a3])(?:제|내) (?=[\uac00-\ud7a3])|저의|나의|मेरो)", re.I)   # singular only: "our city" is the city's
_CASE = re.compile(r"(通った|通りました|通ってる|結果|審査|どうなって|状況|届いた|届きました|いつ届|振り込|振込|還付|"
                   r"評価額|税額|滞納|未納|いくらです|いくら払|納期|締め切り|期限|"
                   r"status|approved|result|refund|deadline|how much (?:is|do|will)|amount|"
                   r"resultado|aprovad|prazo|reembolso|quanto (?:é|eu|devo|pago)|resulta|aprubado|magkano|hanggang kailan|"
                   r"hasil|disetujui|batas waktu|berapa|kết quả|duyệt|hạn|bao nhiêu|结果|审核|批准|期限|多少钱|退税|"
                   r"결과|심사|승인|기한|얼마|नतिजा|स्वीकृत|अन्तिम मिति|कति)", re.I)


def personal_case(text: str) -> bool:
    t = tp.fold(text)
    return bool(_MINE.search(t) and _CASE.search(t))


# A request that the bot itself do something for the resident (book, issue, send): it only answers questions. The
# imperative decides: 「予約の方法」 asks how, 「予約してください」 asks the bot to do it.
_DO_FOR_ME = re.compile(r"((?:予約|よやく|発行|はっこう|手配|てはい)\s*(?:を\s*)?(?:して|しといて|お願い|おねがい)|"
                        r"(?:送って|おくって|取って|とって)\s*(?:ください|くださ|ほしい|もらえ|くれ)|"
                        r"\b(?:can|could|would|will) you (?:please )?(?:book|reserve|send|issue|make (?:a|an|me))|"
                        r"\bplease (?:book|reserve|send me|issue)|"
                        r"(?:pode|podes|poderia) (?:me )?(?:enviar|mandar|agendar|marcar|reservar)|"
                        r"\bpaki(?:book|reserve|padala)|"
                        r"(?:bisa|tolong) (?:kirim|pesan|reservasi|buatkan|daftarkan)|"
                        r"(?:gửi|đặt lịch|đặt hẹn|làm) giúp|giúp tôi (?:gửi|đặt|làm)|"
                        r"帮我(?:预约|预订|寄|发|办)|"
                        r"(?:예약|발급|보내)\s*(?:해|하여)?\s*주(?:세요|실|시겠|ㄹ)|"
                        r"(?:बुक|पठाइ|जारी)\s*(?:गरि)?दिनु)", re.I)


def do_for_me(text: str) -> bool:
    return bool(_DO_FOR_ME.search(tp.fold(text)))
