"""LINE webhook events in, LINE replies out. One coroutine per event, run by the dispatcher's workers."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from linebot.v3.messaging import (ApiException, AsyncMessagingApi, PushMessageRequest, ReplyMessageRequest,
                                  ShowLoadingAnimationRequest)
from linebot.v3.webhooks import (AudioMessageContent, FileMessageContent, FollowEvent, GroupSource,
                                 ImageMessageContent, JoinEvent, LocationMessageContent, MessageEvent, PostbackEvent,
                                 RoomSource, StickerMessageContent, TextMessageContent, UserSource,
                                 VideoMessageContent)

from bot import config, privacy
from bot.answer import UnknownTenant, answer, answer_entry
from bot.kb.registry import KnowledgeBase
from bot.languages import LANGUAGES, normalise_lang
from bot.ratelimit import RateLimiter
from bot.recording import record_answer
from handlers import line_messages as lm
from handlers.commands import command_of
from handlers.staff_notify import notify_staff

log = logging.getLogger("madoguchi.line")
GROUP_TRIGGERS = [t.strip() for t in (config.env("MADOGUCHI_GROUP_TRIGGERS", "窓口,まどぐち,madoguchi") or "").split(",")
                  if t.strip()]


@dataclass
class LineContext:
    kb: KnowledgeBase
    store: object                                  # bot.store.Store
    apis: dict[str, AsyncMessagingApi]             # per tenant
    hash_key: bytes
    limiter: RateLimiter = field(default_factory=RateLimiter)
    recent: OrderedDict = field(default_factory=OrderedDict)   # event ids handled here (non-message events)
    stats: dict = field(default_factory=lambda: {"replies": 0, "reply_errors": 0, "pushes": 0, "duplicates": 0})

    def seen(self, event_id: str) -> bool:
        if event_id in self.recent:
            return True
        self.recent[event_id] = True
        if len(self.recent) > 50000:
            self.recent.popitem(last=False)
        return False


def _user_id(ev) -> str | None:
    return getattr(getattr(ev, "source", None), "user_id", None)


def _is_group(ev) -> bool:
    return isinstance(getattr(ev, "source", None), (GroupSource, RoomSource))


async def _db(fn, *args, **kw):
    """Store calls are blocking; keep them off the event loop."""
    return await asyncio.to_thread(fn, *args, **kw)


async def send_reply(ctx: LineContext, tenant: str, ev, messages: list[dict], user_id: str | None) -> bool:
    api = ctx.apis.get(tenant)
    if api is None or not getattr(ev, "reply_token", None):
        log.warning("no LINE client or reply token for tenant %s: reply not sent", tenant)
        return False
    messages = lm.enforce(messages)
    try:
        req = ReplyMessageRequest.from_dict({"replyToken": ev.reply_token, "messages": messages})
    except Exception:                      # a model the SDK rejects must not cost the resident the answer
        log.exception("reply did not validate; sending it as plain text")
        text = "\n".join(m.get("text") or m.get("altText", "") for m in messages)
        req = ReplyMessageRequest.from_dict({"replyToken": ev.reply_token,
                                             "messages": lm.enforce(lm.text_messages(text))})
    try:
        await api.reply_message_with_http_info(req, _request_timeout=10)
        ctx.stats["replies"] += 1
        return True
    except ApiException as e:
        rid = (e.headers or {}).get("x-line-request-id") if e.headers else None
        log.warning("reply failed: status %s request id %s body %s", e.status, rid, (e.body or "")[:200])
        ctx.stats["reply_errors"] += 1
        expired = e.status == 400 and "reply token" in (e.body or "").lower()
        if expired and user_id and config.flag("MADOGUCHI_PUSH_FALLBACK"):
            return await send_push(ctx, tenant, user_id, messages)
    except Exception as e:                 # timeouts, connection errors: log and carry on
        log.warning("reply failed: %s: %s", type(e).__name__, e)
        ctx.stats["reply_errors"] += 1
    return False


async def send_push(ctx: LineContext, tenant: str, to: str, messages: list[dict], attempts: int = 4) -> bool:
    """Push with one X-Line-Retry-Key across retries, so LINE delivers it at most once (409 = already sent)."""
    api = ctx.apis.get(tenant)
    if api is None:
        return False
    key = str(uuid.uuid4())
    req = PushMessageRequest.from_dict({"to": to, "messages": lm.enforce(messages)})
    delay = 0.5
    for i in range(attempts):
        try:
            await api.push_message_with_http_info(req, x_line_retry_key=key, _request_timeout=10)
            ctx.stats["pushes"] += 1
            return True
        except ApiException as e:
            if e.status == 409:
                return True
            if e.status not in (429, 500, 502, 503, 504):
                log.warning("push failed: status %s %s", e.status, (e.body or "")[:200])
                return False
        except Exception as e:
            log.warning("push attempt %d failed: %s", i + 1, type(e).__name__)
        await asyncio.sleep(delay)
        delay *= 2
    return False


async def _loading(ctx: LineContext, tenant: str, user_id: str):
    api = ctx.apis.get(tenant)
    if api is None:
        return
    try:
        await api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=5),
                                         _request_timeout=3)
    except Exception as e:                 # purely cosmetic
        log.info("loading animation failed: %s", type(e).__name__)


async def user_language(ctx: LineContext, tenant: str, user_key: str) -> str | None:
    try:
        return await _db(ctx.store.get_language, tenant, user_key)
    except Exception:
        return None


def _group_text(ev) -> str | None:
    """In groups and rooms: the text addressed to the bot (mentioned, or starting with a trigger word), else None."""
    msg = ev.message
    text = msg.text or ""
    mention = getattr(msg, "mention", None)
    if mention and any(getattr(m, "is_self", False) for m in (mention.mentionees or [])):
        for m in sorted(mention.mentionees, key=lambda m: -m.index):
            if getattr(m, "is_self", False):
                text = text[:m.index] + text[m.index + m.length:]
        return text.strip()
    for t in GROUP_TRIGGERS:
        if text.lower().startswith(t.lower()):
            return text[len(t):].lstrip(" 　:：、,").strip()
    return None


async def handle_event(ctx: LineContext, tenant: str, ev, received_at: float | None = None) -> None:
    """Process one event; never raises (a failure is logged and the worker goes on)."""
    try:
        await _handle(ctx, tenant, ev, received_at or time.monotonic())
    except Exception:
        log.exception("event %s failed", getattr(ev, "webhook_event_id", "?"))


async def _handle(ctx: LineContext, tenant: str, ev, received_at: float) -> None:
    if getattr(ev, "mode", None) is not None and str(getattr(ev.mode, "value", ev.mode)) == "standby":
        return                                           # another channel module is handling this chat
    event_id = getattr(ev, "webhook_event_id", None)
    uid = _user_id(ev)
    group = _is_group(ev)
    # Groups: the group is the "user" for preferences; member ids are never stored.
    raw_key = (getattr(ev.source, "group_id", None) or getattr(ev.source, "room_id", None)) if group else uid
    ukey = privacy.user_key(raw_key, ctx.hash_key) if raw_key else ""
    if isinstance(ev, MessageEvent) and isinstance(ev.message, TextMessageContent):
        text = ev.message.text or ""
        if group:
            text = _group_text(ev)
            if text is None:
                return
        await on_text(ctx, tenant, ev, text, ukey, uid if not group else None, event_id, received_at)
        return
    if event_id and ctx.seen(event_id):
        ctx.stats["duplicates"] += 1
        return
    if not getattr(ev, "reply_token", None):
        return
    lang = (await user_language(ctx, tenant, ukey)) if ukey else None
    lang = lang or "ja"
    if isinstance(ev, FollowEvent) or isinstance(ev, JoinEvent):
        plang = lang
        if isinstance(ev, FollowEvent) and uid and not (await user_language(ctx, tenant, ukey)):
            plang = await profile_language(ctx, tenant, uid) or "ja"
        city = ctx.kb.get(tenant).tenant.city.name
        greet = ctx.kb.message("greeting", plang, city=city.get(plang) or city.get("ja", ""))
        msgs = lm.text_messages(greet, lm.language_items())
        await send_reply(ctx, tenant, ev, msgs, uid)
        return
    if isinstance(ev, PostbackEvent):
        await on_postback(ctx, tenant, ev, ukey, uid, lang)
        return
    if isinstance(ev, MessageEvent):
        if group:
            return                                       # in groups, only text addressed to the bot gets a reply
        if isinstance(ev.message, StickerMessageContent):
            await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("sticker", lang)), uid)
        elif isinstance(ev.message, (ImageMessageContent, VideoMessageContent, AudioMessageContent,
                                     FileMessageContent, LocationMessageContent)):
            await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("text_only", lang)), uid)
        else:
            await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("text_only", lang)), uid)


async def profile_language(ctx: LineContext, tenant: str, uid: str) -> str | None:
    api = ctx.apis.get(tenant)
    if api is None:
        return None
    try:
        prof = await api.get_profile(uid, _request_timeout=3)
        return normalise_lang(getattr(prof, "language", None))
    except Exception:
        return None


async def on_text(ctx, tenant, ev, text, ukey, uid, event_id, received_at):
    lang = await user_language(ctx, tenant, ukey) if ukey else None
    rl_key = ukey or (event_id or "")
    if not ctx.limiter.allow(f"{tenant}:{rl_key}"):
        if event_id and ctx.seen(event_id):
            return
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("rate_limited", lang or "ja")), uid)
        return
    cmd = command_of(text)
    if cmd == "language":
        if event_id and ctx.seen(event_id):
            return
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("choose_language", lang or "ja"), lm.language_items()), uid)
        return
    if cmd == "delete":
        if event_id and ctx.seen(event_id):
            return
        try:
            await _db(ctx.store.delete_user, tenant, ukey)
        except Exception:
            log.exception("delete_user failed")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("deleted", lang or "ja")), uid)
        return
    if uid and time.monotonic() - received_at > 1.0:
        await _loading(ctx, tenant, uid)                 # the answer is not immediate: show that we are on it
    t0 = time.perf_counter()
    try:
        a = answer(tenant, text, lang)
    except UnknownTenant:
        return
    if cmd == "person":
        a = {**a, "kind": "handoff"}
    reply_ms = int((time.perf_counter() - t0) * 1000)
    try:
        mid, created = await _db(record_answer, ctx.store, a, "line", ukey, event_id, reply_ms)
    except Exception:                                   # record_answer spools on DB faults; anything else: log
        log.exception("recording failed")
        mid, created = None, True
    if not created:
        ctx.stats["duplicates"] += 1
        return                                          # a redelivery: recorded and answered once already
    if cmd == "person":
        await on_person(ctx, tenant, ev, a, ukey, uid, mid)
        return
    await send_reply(ctx, tenant, ev, lm.answer_messages(a, mid), uid)


async def person_contact(ctx, tenant, a, ukey, mid) -> str:
    """Record a request for staff, notify them, and return the contact line to show the resident."""
    kb = ctx.kb.get(tenant)
    lang = a.get("language", "ja")
    # the section of the resident's last answered question, else the city's general contact
    section_id = None
    try:
        last = await _db(ctx.store.list_messages, tenant, limit=5, user_key=ukey) if ukey else []
        for m in last:
            if m.get("entry_id") and m["entry_id"] in kb.by_id and kb.by_id[m["entry_id"]].sections:
                section_id = kb.by_id[m["entry_id"]].sections[0]
                break
    except Exception:
        pass
    from bot.answer import _city_contact, _section_line
    line = _section_line(kb, section_id, lang, ctx.kb) if section_id else None
    contact = line[0] if line else ctx.kb.message("contact_city", lang, contact=_city_contact(kb, lang)[0])
    try:
        hid = await _db(ctx.store.record_handoff, tenant, ukey, a.get("query", ""), mid, section_id)
    except Exception:
        log.exception("handoff not recorded")
        hid = None
    await notify_staff(tenant, kb.tenant.city.name.get("ja", tenant), a.get("query", ""), section_id, hid)
    return lm.ui("handoff", lang) + "\n" + contact


async def on_person(ctx, tenant, ev, a, ukey, uid, mid):
    text = await person_contact(ctx, tenant, a, ukey, mid)
    await send_reply(ctx, tenant, ev, lm.text_messages(text), uid)


async def on_person_web(ctx, tenant, a, ukey, mid) -> dict:
    text = await person_contact(ctx, tenant, a, ukey, mid)
    return {**a, "kind": "smalltalk", "answered": False, "handoff": True, "text": text}


async def on_postback(ctx, tenant, ev, ukey, uid, lang):
    data = {k: v[0] for k, v in parse_qs(ev.postback.data or "").items()}
    action = data.get("a")
    if action == "lang" and data.get("l") in LANGUAGES:
        if ukey:
            try:
                await _db(ctx.store.set_language, tenant, ukey, data["l"])
            except Exception:
                log.exception("language not saved")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("language_set", data["l"]) + "\n" +
                                                           ctx.kb.message("help", data["l"], city="")), uid)
    elif action == "langmenu":
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("choose_language", lang), lm.language_items()), uid)
    elif action == "fb" and data.get("v") in ("helpful", "not_helpful"):
        try:
            mid = int(data.get("m") or 0)
            await _db(ctx.store.set_feedback, mid, data["v"], data.get("r"), ukey)
        except (ValueError, Exception):
            log.exception("feedback not saved")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("thanks_feedback", lang)), uid)
    elif action == "ask" and data.get("e"):
        a = answer_entry(tenant, data["e"], lang)
        if a is None:
            return
        try:
            mid, _ = await _db(record_answer, ctx.store, a, "line", ukey, ev.webhook_event_id, 0)
        except Exception:
            mid = None
        await send_reply(ctx, tenant, ev, lm.answer_messages(a, mid), uid)
    elif action == "topic" and data.get("t"):
        kb = ctx.kb.get(tenant)
        entries = [e for e in kb.entries if e.kind == "faq" and e.topic == data["t"]][:12]
        if not entries:
            await send_reply(ctx, tenant, ev, lm.text_messages(ctx.kb.message("help", lang, city="")), uid)
            return
        from bot.answer import title_of
        items = [lm.qr_postback(title_of(e, lang), {"a": "ask", "e": e.id}, title_of(e, lang)) for e in entries]
        await send_reply(ctx, tenant, ev, lm.text_messages(ctx.kb.message("choices", lang), items), uid)
