"""Notice to staff (Slack- or Teams-style incoming webhook) when a resident asks for a person.

MADOGUCHI_STAFF_WEBHOOK_URL: where to POST. The body is {"text": ...}, which Slack incoming webhooks and Teams
(incoming webhook / Workflows "post to a channel when a webhook request is received") both accept. The notice holds the
city, the request number, the section and the resident's question masked by bot.privacy.mask: no user id, no name,
no phone number, no e-mail address.
"""
from __future__ import annotations

import logging

import httpx

from bot import config

log = logging.getLogger("madoguchi.staff")


def notice(tenant: str, city: str, masked_question: str, section_id: str | None, handoff_id: int | None,
           section_name: str | None = None) -> dict:
    """Only the masked question and ids: no user id, no name."""
    section = f"{section_name}（{section_id}）" if section_name and section_id else (section_id or "未定")
    text = (f"[{city}] 窓口: 住民が職員との対応を希望しています（受付番号 {handoff_id or '-'}）。\n"
            f"質問（個人情報はマスク済み）: {masked_question or '（なし）'}\n担当: {section}\n"
            f"/admin/handoffs で確認してください。")
    return {"text": text}


async def notify_staff(tenant: str, city: str, question: str, section_id: str | None, handoff_id: int | None,
                       section_name: str | None = None) -> bool:
    url = config.env("MADOGUCHI_STAFF_WEBHOOK_URL")
    if not url:
        return False
    from bot.privacy import mask
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.post(url, json=notice(tenant, city, mask(question or ""), section_id, handoff_id,
                                                   section_name))
            if r.status_code >= 300:
                log.warning("staff notice refused: status %s", r.status_code)
            return r.status_code < 300
    except Exception as e:
        log.warning("staff notice failed: %s", type(e).__name__)
        return False
