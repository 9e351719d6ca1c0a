"""LINE rich menus, one per language: pictures drawn from knowledge/_common/richmenu.yaml, deployed through the SDK.

    madoguchi richmenu images [--tenant T] [--out DIR]
    madoguchi richmenu deploy --tenant T [--languages ja,en,...]

Pictures are drawn with Pillow in a CJK font found on the machine at run time (Debian `fonts-noto-cjk` or
`fonts-ipafont-gothic`, or a font file named by MADOGUCHI_FONT_CJK); Nepali labels need a Devanagari font
(`fonts-lohit-deva-nepali` or `fonts-noto-core`, or MADOGUCHI_FONT_DEVANAGARI). No font file is committed.

Deploy (sync MessagingApi / MessagingApiBlob, Configuration(host=MADOGUCHI_LINE_API_BASE)): for each language,
create the menu, upload its picture and point the alias `mdg-<tenant>-<lang>` at it; make the Japanese menu the
default; link the other menus to the followers whose stored language is not Japanese (the store keeps only
pseudonymous keys, so followers are listed through the API and matched by key; accounts without the followers API
get their menu linked when the resident picks a language, see line_events.link_language_menu); then delete the
menus this command made before.
"""
from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot import config
from bot.languages import LANGUAGES

log = logging.getLogger("madoguchi.richmenu")

REPO_KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
MAX_IMAGE_BYTES = 1024 * 1024           # LINE: rich menu image ≤ 1 MB, JPEG or PNG
ALIAS_MAX = 32


class RichMenuError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------------ definitions

def _definition_files(tenant: str | None) -> list[Path]:
    roots = [Path(p) for p in (config.env("MADOGUCHI_KNOWLEDGE_PATH") or "").split(":") if p.strip()]
    files = [REPO_KNOWLEDGE / "_common" / "richmenu.yaml"] + [r / "_common" / "richmenu.yaml" for r in roots]
    if tenant:
        files += [r / tenant / "richmenu.yaml" for r in [REPO_KNOWLEDGE] + roots]
    seen, out = set(), []
    for f in files:
        if f.is_file() and f.resolve() not in seen:
            seen.add(f.resolve())
            out.append(f)
    return out


def load_definitions(tenant: str | None = None) -> dict:
    """The menu definition: the shared one, then per knowledge root, then per tenant (later files win per key)."""
    defs: dict = {}
    for f in _definition_files(tenant):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        defs.update(data)
    if not defs.get("areas"):
        raise RichMenuError("no rich menu definition found (knowledge/_common/richmenu.yaml)")
    return defs


def area_for_topic(topic: str, tenant: str | None = None) -> dict | None:
    try:
        defs = load_definitions(tenant)
    except Exception:
        return None
    for a in defs["areas"]:
        if a.get("id") == topic:
            return a
    return None


def _label(area: dict, lang: str) -> str:
    lbl = area.get("label") or {}
    return str(lbl.get(lang) or (lbl.get("ja") if lang == "ja-easy" else None) or lbl.get("en") or lbl.get("ja") or area["id"])


def _bounds(defs: dict) -> list[dict]:
    w, h = defs["size"]["width"], defs["size"]["height"]
    cols, rows = int(defs.get("columns", 3)), int(defs.get("rows", 2))
    out = []
    for i in range(len(defs["areas"])):
        r, c = divmod(i, cols)
        x0, x1 = w * c // cols, w * (c + 1) // cols
        y0, y1 = h * r // rows, h * (r + 1) // rows
        out.append({"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0})
    return out


def menu_name(defs: dict, tenant: str, lang: str) -> str:
    return f"{defs.get('name_prefix', 'madoguchi')}-{tenant}-{lang}"[:300]


def alias_id(defs: dict, tenant: str, lang: str) -> str:
    """Alias ids: ≤ 32 characters of [A-Za-z0-9_-]."""
    import re
    raw = re.sub(r"[^A-Za-z0-9_-]", "-", f"{defs.get('alias_prefix', 'mdg')}-{tenant}-{lang}")
    return raw[:ALIAS_MAX]


def menu_request(defs: dict, tenant: str, lang: str) -> dict:
    """The RichMenuRequest JSON for one language."""
    from handlers.line_limits import cut_utf16, label
    areas = []
    for area, b in zip(defs["areas"], _bounds(defs)):
        text = _label(area, lang).replace("\n", " ")
        areas.append({"bounds": b, "action": {"type": "postback", "label": label(text), "data": area["data"][:300],
                                              "displayText": cut_utf16(text, 300)}})
    chat = (defs.get("chat_bar") or {}).get(lang) or (defs.get("chat_bar") or {}).get("en") or "Menu"
    return {"size": dict(defs["size"]), "selected": lang == "ja", "name": menu_name(defs, tenant, lang),
            "chatBarText": cut_utf16(chat, 14, ellipsis=""), "areas": areas}


# ------------------------------------------------------------------------------------------------ fonts

CJK_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKjp-Bold.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
]
DEVANAGARI_CANDIDATES = [
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Nepali.ttf",
    "/usr/share/fonts/truetype/lohit-nepali/Lohit-Nepali.ttf",
    "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf",
    "/usr/share/fonts/truetype/Gargi/Gargi.ttf",
]
FONT_HELP = {
    "cjk": "no CJK font found for the rich menu pictures. Install one: `apt-get install fonts-noto-cjk` "
           "(or fonts-ipafont-gothic), or set MADOGUCHI_FONT_CJK to a .ttf/.otf/.ttc file.",
    "devanagari": "no Devanagari font found for the Nepali rich menu. Install one: `apt-get install "
                  "fonts-lohit-deva-nepali` (or fonts-noto-core), or set MADOGUCHI_FONT_DEVANAGARI.",
}


def _fc_list(lang: str) -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(["fc-list", f":lang={lang}", "file"], capture_output=True, text=True, timeout=10).stdout
    except Exception:
        return []
    files = sorted({l.split(":")[0].strip() for l in out.splitlines() if l.strip()})
    return sorted(files, key=lambda f: (0 if "Bold" in f else 1, 0 if "Sans" in f else 1, f))


def find_font(script: str = "cjk") -> str:
    """A font file for `script` ("cjk" or "devanagari"); RichMenuError with the install command when none."""
    env = config.env("MADOGUCHI_FONT_CJK" if script == "cjk" else "MADOGUCHI_FONT_DEVANAGARI")
    if env:
        if not Path(env).is_file():
            raise RichMenuError(f"font file {env} does not exist")
        return env
    for f in (CJK_CANDIDATES if script == "cjk" else DEVANAGARI_CANDIDATES):
        if Path(f).is_file():
            return f
    for f in _fc_list("ja" if script == "cjk" else "ne"):
        if Path(f).is_file():
            return f
    raise RichMenuError(FONT_HELP[script])


# ------------------------------------------------------------------------------------------------ pictures

def _font(path: str, size: int):
    from PIL import ImageFont
    try:
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
    except Exception:                      # no libraqm: basic layout (fine for CJK and Latin)
        return ImageFont.truetype(path, size)


def _covers(font, text: str) -> bool:
    notdef = bytes(font.getmask("\ue000"))
    return all(bytes(font.getmask(ch)) != notdef for ch in text if ch.strip() and not ch.isspace()
               and not __import__("unicodedata").category(ch).startswith("M"))


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines = []
    for para in text.split("\n"):
        if " " in para:
            words, sep = para.split(" "), " "
        elif "・" in para:                           # Japanese: break after 「・」 rather than inside a word
            parts = para.split("・")
            words, sep = [p + "・" for p in parts[:-1]] + [parts[-1]], ""
        else:
            words, sep = list(para), ""
        cur = ""
        for w in words:
            cand = (cur + sep + w) if cur else w
            if draw.textlength(cand, font=font) <= width or not cur:
                cur = cand
            else:
                lines.append(cur)
                cur = w
        if cur:
            lines.append(cur)
    return lines


def _hex(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


def render_image(defs: dict, lang: str, fonts: dict | None = None) -> bytes:
    """The picture of the menu in `lang` as PNG (JPEG if a PNG would pass LINE's 1 MB)."""
    from PIL import Image, ImageDraw
    fonts = fonts if fonts is not None else {}
    if "cjk" not in fonts:
        fonts["cjk"] = find_font("cjk")
    W, H = defs["size"]["width"], defs["size"]["height"]
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)

    def font_for(text: str, size: int):
        f = _font(fonts["cjk"], size)
        if _covers(f, text):
            return f
        if "devanagari" not in fonts:
            fonts["devanagari"] = find_font("devanagari")
        return _font(fonts["devanagari"], size)

    for area, b in zip(defs["areas"], _bounds(defs)):
        x, y, w, h = b["x"], b["y"], b["width"], b["height"]
        pad = 18
        draw.rounded_rectangle([x + pad, y + pad, x + w - pad, y + h - pad], radius=40, fill=_hex(area.get("color", "#455a64")))
        title = _label(area, lang)
        sub = area.get("subtitle") or (_label(area, "ja") if lang not in ("ja", "ja-easy") else None)
        if sub == title:
            sub = None
        size = 120
        while size > 88:                             # one line, if it fits at a readable size
            f = font_for(title, size)
            if "\n" not in title and draw.textlength(title, font=f) <= w - 2 * pad - 80:
                break
            size -= 8
        else:
            size = 120
        while True:
            f = font_for(title, size)
            lines = _wrap(draw, title, f, w - 2 * pad - 80)
            line_h = int(size * 1.3)
            if (len(lines) <= 3 and all(draw.textlength(l, font=f) <= w - 2 * pad - 60 for l in lines)) or size <= 48:
                break
            size -= 8
        sub_f = font_for(sub, 56) if sub else None
        block = line_h * len(lines) + (90 if sub else 0)
        ty = y + (h - block) // 2
        for l in lines:
            tw = draw.textlength(l, font=f)
            draw.text((x + (w - tw) / 2, ty), l, font=f, fill="white")
            ty += line_h
        if sub:
            tw = draw.textlength(sub, font=sub_f)
            draw.text((x + (w - tw) / 2, ty + 20), sub, font=sub_f, fill=(255, 255, 255, 220))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    data = buf.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=85)
        data = buf.getvalue()
    return data


def image_type(data: bytes) -> str:
    return "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"


def _languages(arg: str | None, defs: dict) -> list[str]:
    langs = [l.strip() for l in (arg or "").split(",") if l.strip()] or list(LANGUAGES)
    bad = [l for l in langs if l not in LANGUAGES]
    if bad:
        raise RichMenuError(f"unknown language(s) {', '.join(bad)}: use {', '.join(LANGUAGES)}")
    return langs


def write_images(out: Path, tenant: str | None, langs: list[str]) -> list[Path]:
    defs = load_definitions(tenant)
    out.mkdir(parents=True, exist_ok=True)
    fonts: dict = {}
    paths = []
    for lang in langs:
        data = render_image(defs, lang, fonts)
        p = out / f"richmenu-{tenant + '-' if tenant else ''}{lang}.{'png' if image_type(data) == 'image/png' else 'jpg'}"
        p.write_bytes(data)
        paths.append(p)
    return paths


# ------------------------------------------------------------------------------------------------ deploy

def _apis(tenant: str):
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, MessagingApiBlob
    token = config.channel_token(tenant)
    if not token:
        raise RichMenuError(f"no LINE channel access token for {tenant}: set LINE_CHANNEL_ACCESS_TOKEN"
                            f" or LINE_CHANNEL_ACCESS_TOKEN_{tenant.upper()}")
    base = config.env("MADOGUCHI_LINE_API_BASE")
    # host only when overridden: LINE's own default sends blob calls to api-data.line.me
    cfg = Configuration(access_token=token, host=base.rstrip("/")) if base else Configuration(access_token=token)
    client = ApiClient(cfg)
    return client, MessagingApi(client), MessagingApiBlob(client)


def _followers(api) -> list[str] | None:
    """Every follower's user id, or None when the account may not list them (only verified/premium accounts may)."""
    from linebot.v3.messaging import ApiException
    ids, start = [], None
    try:
        while True:
            r = api.get_followers(start=start, limit=1000) if start else api.get_followers(limit=1000)
            ids += list(r.user_ids or [])
            start = getattr(r, "next", None)
            if not start:
                return ids
    except ApiException as e:
        log.info("followers not listed (status %s): menus are linked when residents choose a language", e.status)
        return None


def _user_languages(tenant: str, user_ids: list[str]) -> dict[str, str]:
    """user id -> stored language, for the followers whose pseudonymous key has a language in the store."""
    from bot import privacy
    from bot.recording import open_default_store
    key = privacy.hash_key_from_env()
    store = open_default_store()
    try:
        out = {}
        for uid in user_ids:
            lang = store.get_language(tenant, privacy.user_key(uid, key))
            if lang:
                out[uid] = lang
        return out
    finally:
        store.close()


def deploy(tenant: str, langs: list[str], echo=print) -> dict:
    """Create, upload, alias, set default, link; returns {"menus": {lang: id}, "default": id, "linked": n}."""
    from linebot.v3.messaging import (ApiException, CreateRichMenuAliasRequest, RichMenuBulkLinkRequest,
                                      RichMenuRequest, UpdateRichMenuAliasRequest)
    from bot.kb.registry import get_kb
    if get_kb().get(tenant) is None:
        raise RichMenuError(f"unknown tenant {tenant}")
    defs = load_definitions(tenant)
    client, api, blob = _apis(tenant)
    fonts: dict = {}
    menus: dict[str, str] = {}
    try:
        old = []
        try:
            names = {menu_name(defs, tenant, l) for l in LANGUAGES}
            old = [m.rich_menu_id for m in (api.get_rich_menu_list().richmenus or []) if m.name in names]
        except ApiException as e:
            log.info("rich menu list not read (status %s); old menus are kept", e.status)
        for lang in langs:
            req = RichMenuRequest.from_dict(menu_request(defs, tenant, lang))
            rid = api.create_rich_menu(req).rich_menu_id
            data = render_image(defs, lang, fonts)
            blob.set_rich_menu_image(rid, body=data, _headers={"Content-Type": image_type(data)})
            aid = alias_id(defs, tenant, lang)
            try:
                api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id=aid, rich_menu_id=rid))
            except ApiException as e:
                if e.status not in (400, 409):
                    raise
                api.update_rich_menu_alias(aid, UpdateRichMenuAliasRequest(rich_menu_id=rid))
            menus[lang] = rid
            echo(f"{lang}: rich menu {rid} (alias {aid}, {len(data)} bytes)")
        default = menus.get("ja") or menus[langs[0]]
        api.set_default_rich_menu(default)
        echo(f"default: {default}")
        linked = 0
        others = {l: rid for l, rid in menus.items() if l != "ja"}
        if others:
            ids = _followers(api)
            if ids:
                by_lang: dict[str, list[str]] = {}
                for uid, lang in _user_languages(tenant, ids).items():
                    if lang in others:
                        by_lang.setdefault(lang, []).append(uid)
                for lang, uids in by_lang.items():
                    for i in range(0, len(uids), 500):        # bulk link: ≤ 500 users per request
                        api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=others[lang],
                                                                               user_ids=uids[i:i + 500]))
                        linked += len(uids[i:i + 500])
                echo(f"linked: {linked} residents to their language's menu")
        for rid in old:
            if rid not in menus.values():
                try:
                    api.delete_rich_menu(rid)
                except ApiException as e:
                    log.info("old rich menu %s not deleted (status %s)", rid, e.status)
        return {"menus": menus, "default": default, "linked": linked}
    finally:
        client.close()


def main(args) -> int:
    try:
        if args.rm_cmd == "images":
            defs = load_definitions(getattr(args, "tenant", None))
            langs = _languages(getattr(args, "languages", None), defs)
            for p in write_images(Path(getattr(args, "out", None) or "data/richmenu"), getattr(args, "tenant", None),
                                  langs):
                print(p)
            return 0
        if args.rm_cmd == "deploy":
            defs = load_definitions(args.tenant)
            deploy(args.tenant, _languages(getattr(args, "languages", None), defs))
            return 0
        print(f"unknown richmenu command {args.rm_cmd}", file=sys.stderr)
        return 2
    except RichMenuError as e:
        print(f"madoguchi richmenu: {e}", file=sys.stderr)
        return 1
    except Exception as e:                              # an API refusal: say which, do not dump a traceback
        from linebot.v3.messaging import ApiException
        if isinstance(e, ApiException):
            print(f"madoguchi richmenu: LINE API error {e.status}: {(e.body or '')[:300]}", file=sys.stderr)
            return 1
        raise
