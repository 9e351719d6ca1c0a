"""LINE webhook events in, LINE replies out. One coroutine per event, run by the dispatcher's workers."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from linebot.v3.messaging import (ApiException, AsyncMessagingApi, PushMessageRequest, ReplyMessageRequest,
                                  ShowLoadingAnimationRequest)
from linebot.v3.webhooks import (AudioMessageContent, FileMessageContent, FollowEvent, GroupSource,
                                 ImageMessageContent, JoinEvent, LocationMessageContent, MessageEvent, PostbackEvent,
                                 RoomSource, StickerMessageContent, TextMessageContent, VideoMessageContent)

from bot import config, privacy
from bot.answer import UnknownTenant, answer, answer_entry
from bot.langdetect import detect_language
from bot.kb.registry import KnowledgeBase
from bot.languages import LANGUAGES, normalise_lang
from bot.ratelimit import RateLimiter
from bot.recording import record_answer
from handlers import line_messages as lm
from handlers.commands import split_command
from handlers.textsafety import clean_text
from handlers.staff_notify import notify_staff

log = logging.getLogger("madoguchi.line")
# Answers are computed off the event loop (webhooks keep being acknowledged); the analyser keeps one tokenizer
# per thread (bot.textproc), so a small pool is safe.
_ANSWERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="answer")
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


async def first_time(ctx: LineContext, event_id: str | None) -> bool:
    """False for an event this process or any other has handled already (LINE redelivers; several web processes
    share one channel). Questions are deduplicated by their record instead (messages.event_id)."""
    if not event_id:
        return True
    if ctx.seen(event_id):
        return False
    try:
        return await _db(ctx.store.claim_event, event_id)
    except Exception:              # database away: this process's memory is all there is
        return True


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
        text = clean_text(text)
        await on_text(ctx, tenant, ev, text, ukey, uid if not group else None, event_id, received_at)
        return
    if not await first_time(ctx, event_id):
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


def loading_after() -> float:
    """Seconds an answer may take before the loading animation is shown (one-to-one chats only)."""
    return config.float_env("MADOGUCHI_LOADING_AFTER", 0.8)


async def compute_answer(ctx: LineContext, tenant: str, uid: str | None, received_at: float, fn, *args):
    """Run fn(*args) on the answer thread; show LINE's loading animation when it is not immediate."""
    loop = asyncio.get_running_loop()
    fut = loop.run_in_executor(_ANSWERS, lambda: fn(*args))
    if uid:
        waited = max(0.0, loading_after() - (time.monotonic() - received_at))
        done, _ = await asyncio.wait({fut}, timeout=waited)
        if not done:
            await _loading(ctx, tenant, uid)             # the answer is not immediate: show that we are on it
    return await fut


async def on_text(ctx, tenant, ev, text, ukey, uid, event_id, received_at):
    lang = await user_language(ctx, tenant, ukey) if ukey else None
    rl_key = ukey or (event_id or "")
    if not ctx.limiter.allow(f"{tenant}:{rl_key}"):
        if not await first_time(ctx, event_id):
            return
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("rate_limited", lang or "ja")), uid)
        return
    cmd, rest = split_command(text)
    if cmd == "language":
        if not await first_time(ctx, event_id):
            return
        show = lang or _text_lang(text)
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("choose_language", show), lm.language_items()), uid)
        return
    if cmd == "delete":
        if not await first_time(ctx, event_id):
            return
        try:
            await _db(ctx.store.delete_user, tenant, ukey)
        except Exception:
            log.exception("delete_user failed")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("deleted", lang or "ja")), uid)
        return
    if cmd == "person":
        await on_person(ctx, tenant, ev, text, rest, lang, ukey, uid, event_id)
        return
    t0 = time.perf_counter()
    try:
        a = await compute_answer(ctx, tenant, uid, received_at, answer, tenant, text, lang)
    except UnknownTenant:
        return
    reply_ms = int((time.perf_counter() - t0) * 1000)
    try:
        mid, created = await _db(record_answer, ctx.store, a, "line", ukey, event_id, reply_ms)
    except Exception:                                   # record_answer spools on DB faults; anything else: log
        log.exception("recording failed")
        mid, created = None, True
    if not created:
        ctx.stats["duplicates"] += 1
        return                                          # a redelivery: recorded and answered once already
    await send_reply(ctx, tenant, ev, lm.answer_messages(a, mid), uid)


def _text_lang(text: str) -> str:
    try:
        l = detect_language(text)
    except Exception:
        return "ja"
    return l if l in LANGUAGES else "en"


async def _last_question(ctx, tenant: str, ukey: str, before: int | None = None) -> dict | None:
    """The resident's latest recorded message (text already masked by the store), older than `before`."""
    if not ukey:
        return None
    try:
        mid = await _db(ctx.store.last_message_id, tenant, ukey)
        if mid is None:
            return None
        if before is None or mid < before:
            return await _db(ctx.store.get_message, mid)
        for k in range(1, 30):                           # the web records the request first: look just before it
            m = await _db(ctx.store.get_message, before - k)
            if m and m.get("user_key") == ukey and m.get("tenant") == tenant:
                return m
    except Exception:
        log.exception("last question not read")
    return None


async def person_contact(ctx, tenant, lang, ukey, mid, question: str = "",
                         previous: dict | None = None) -> tuple[str, dict]:
    """Record a request for staff, notify them, and return (text for the resident, contact).

    The contact is the section of the resident's last answered question, else the city's general contact. Staff
    get the question (the words after 「人と話したい」, else the resident's previous question), masked."""
    kb = ctx.kb.get(tenant)
    if previous is None:
        previous = await _last_question(ctx, tenant, ukey, before=mid)
    section_id = None
    eid = (previous or {}).get("entry_id")
    if eid and eid in kb.by_id and kb.by_id[eid].sections:
        section_id = kb.by_id[eid].sections[0]
    from bot.answer import _city_contact, _sections_line
    line = _sections_line(kb, [section_id], lang, ctx.kb) if section_id else None
    if line:
        text_line, contact = line[0], line[1][0]
    else:
        ctext, contact = _city_contact(kb, lang)
        text_line = ctx.kb.message("contact_city", lang, contact=ctext)
    prev_q = (previous or {}).get("text") or ""
    if question and prev_q:
        staff_q = f"{question}（直前の質問: {prev_q}）"
    else:
        staff_q = question or prev_q
    staff_q = privacy.mask(staff_q)
    try:
        hid = await _db(ctx.store.record_handoff, tenant, ukey, staff_q, mid, section_id)
    except Exception:
        log.exception("handoff not recorded")
        hid = None
    sec = kb.tenant.section(section_id) if section_id else None
    await notify_staff(tenant, kb.tenant.city.name.get("ja", tenant), staff_q, section_id, hid,
                       sec.name.get("ja") if sec else None)
    return lm.ui("handoff", lang) + "\n" + text_line, contact


async def on_person(ctx, tenant, ev, text, rest, lang, ukey, uid, event_id):
    lang = lang or _text_lang(rest or text)
    previous = await _last_question(ctx, tenant, ukey)     # before this request is recorded
    a = {"tenant": tenant, "query": text, "language": lang, "kind": "handoff", "entry_id": None, "score": None,
         "needs_review": False}
    try:
        mid, created = await _db(record_answer, ctx.store, a, "line", ukey, event_id, 0, "handoff")
    except Exception:
        log.exception("recording failed")
        mid, created = None, True
    if not created:
        ctx.stats["duplicates"] += 1
        return
    reply, _contact = await person_contact(ctx, tenant, lang, ukey, mid, rest, previous)
    await send_reply(ctx, tenant, ev, lm.text_messages(reply, [lm.language_menu_item(lang)]), uid)


async def on_person_web(ctx, tenant, a, ukey, mid) -> dict:
    from handlers.commands import split_command as _split
    _cmd, rest = _split(a.get("query", ""))
    lang = a.get("language", "ja")
    text, contact = await person_contact(ctx, tenant, lang, ukey, mid, rest)
    return {**a, "kind": "smalltalk", "answered": False, "handoff": True, "text": text, "contacts": [contact]}


async def link_language_menu(ctx: LineContext, tenant: str, uid: str | None, lang: str) -> None:
    """Show the resident the rich menu of the language they chose (the alias made by `madoguchi richmenu deploy`);
    Japanese is the default menu, so a Japanese choice removes the per-user link. Cosmetic: failures are logged."""
    api = ctx.apis.get(tenant)
    if api is None or not uid:
        return
    try:
        if lang == "ja":
            await api.unlink_rich_menu_id_from_user(uid, _request_timeout=3)
            return
        from handlers.richmenu import alias_id, load_definitions
        alias = await api.get_rich_menu_alias(alias_id(load_definitions(tenant), tenant, lang), _request_timeout=3)
        await api.link_rich_menu_id_to_user(uid, alias.rich_menu_id, _request_timeout=3)
    except ApiException as e:
        log.info("rich menu for %s not linked: status %s", lang, e.status)
    except Exception as e:
        log.info("rich menu for %s not linked: %s", lang, type(e).__name__)


def topic_entries(kb, tenant: str, topic: str, lang: str, limit: int = 12) -> list:
    """The entries a rich-menu topic lists: FAQs of its topics first, then other entries of those topics; for a
    city without such entries, the best matches of the topic's search words."""
    from handlers.richmenu import area_for_topic
    area = area_for_topic(topic, tenant) or {}
    topics = set(area.get("topics") or [topic])
    found = [e for e in kb.entries if e.kind == "faq" and e.topic in topics]
    found += [e for e in kb.entries if e.kind != "faq" and e.topic in topics]
    if len(found) < 3 and area.get("query"):
        try:
            hits = kb.index.search(area["query"], "ja", top=limit)
            found += [h.entry for h in hits if h.entry not in found]
        except Exception:
            log.exception("topic search failed")
    return found[:limit]


async def on_postback(ctx, tenant, ev, ukey, uid, lang):
    data = {k: v[0] for k, v in parse_qs(ev.postback.data or "").items()}
    action = data.get("a")
    if action == "lang" and data.get("l") in LANGUAGES:
        new = data["l"]
        if ukey:
            try:
                await _db(ctx.store.set_language, tenant, ukey, new)
            except Exception:
                log.exception("language not saved")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("language_set", new) + "\n" +
                                                           ctx.kb.message("help", new, city=""),
                                                           [lm.language_menu_item(new), lm.person_item(new)]), uid)
        if not _is_group(ev):
            await link_language_menu(ctx, tenant, uid, new)
    elif action == "langmenu":
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("choose_language", lang), lm.language_items()), uid)
    elif action == "fb" and data.get("v") in ("helpful", "not_helpful"):
        try:
            mid = int(data.get("m") or 0)
            await _db(ctx.store.set_feedback, mid, data["v"], data.get("r"), ukey)
        except Exception:
            log.exception("feedback not saved")
        await send_reply(ctx, tenant, ev, lm.text_messages(lm.ui("thanks_feedback", lang)), uid)
    elif action == "ask" and data.get("e"):
        a = answer_entry(tenant, data["e"], lang)
        if a is None:
            await send_reply(ctx, tenant, ev, lm.text_messages(ctx.kb.message("help", lang, city="")), uid)
            return
        try:
            mid, created = await _db(record_answer, ctx.store, a, "line", ukey, ev.webhook_event_id, 0)
        except Exception:
            mid, created = None, True
        if not created:
            return
        await send_reply(ctx, tenant, ev, lm.answer_messages(a, mid), uid)
    elif action == "topic" and data.get("t"):
        kb = ctx.kb.get(tenant)
        entries = topic_entries(kb, tenant, data["t"], lang, limit=12)
        if not entries:
            await send_reply(ctx, tenant, ev, lm.text_messages(ctx.kb.message("help", lang, city=""),
                                                               [lm.person_item(lang)]), uid)
            return
        from bot.answer import title_of
        titles = [title_of(e, lang) for e in entries]
        text = "\n".join([ctx.kb.message("choices", lang)] + [f"{i + 1}. {t}" for i, t in enumerate(titles)])
        items = [lm.qr_postback(t, {"a": "ask", "e": e.id}, t) for e, t in zip(entries, titles)]
        await send_reply(ctx, tenant, ev, lm.text_messages(text, items + [lm.person_item(lang)]), uid)
    else:
        log.info("unknown postback %r", (ev.postback.data or "")[:100])
