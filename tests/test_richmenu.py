"""Rich menus: definitions as data, pictures drawn with a CJK font, deploy through the SDK to the LINE stand-in."""
import argparse
import io
import json

import pytest
from werkzeug import Response

from conftest import requests_to, skip_or_fail
from handlers import richmenu as rm
from bot.languages import LANGUAGES

TOPICS = ["migration", "foreign", "opinion", "community", "digital", "language"]


def _have_fonts():
    try:
        rm.find_font("cjk")
        rm.find_font("devanagari")
    except rm.RichMenuError as e:
        skip_or_fail(str(e))


def test_definitions_hold_the_six_topics_in_every_language():
    defs = rm.load_definitions()
    assert [a["id"] for a in defs["areas"]] == TOPICS
    datas = [a["data"] for a in defs["areas"]]
    assert datas[:5] == [f"a=topic&t={t}" for t in TOPICS[:5]] and datas[5] == "a=langmenu"
    assert defs["areas"][0]["label"]["ja"] == "移住・定住"
    assert [a["label"]["ja"] for a in defs["areas"]] == ["移住・定住", "外国人の方へ", "市政への意見", "地域・市民活動",
                                                         "手続き・デジタル", "言語を変える"]
    for a in defs["areas"]:
        assert set(LANGUAGES) <= set(a["label"]), a["id"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_menu_request_is_valid_for_the_sdk(lang):
    from linebot.v3.messaging import RichMenuRequest
    req = rm.menu_request(rm.load_definitions(), "katori", lang)
    RichMenuRequest.from_dict(req)
    assert req["size"] == {"width": 2500, "height": 1686}
    assert len(req["chatBarText"]) <= 14 and req["name"] == f"madoguchi-katori-{lang}"
    assert len(req["areas"]) == 6
    for area in req["areas"]:
        b = area["bounds"]
        assert b["x"] + b["width"] <= 2500 and b["y"] + b["height"] <= 1686
        assert len(area["action"]["label"]) <= 20 and len(area["action"]["data"]) <= 300
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in req["areas"]) == 2500 * 1686   # no gaps
    assert len(rm.alias_id(rm.load_definitions(), "katori", lang)) <= 32


def test_images_command_draws_one_picture_per_language(tmp_path):
    _have_fonts()
    from PIL import Image
    from bot.cli import main as cli
    assert cli(["richmenu", "images", "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.iterdir())
    assert len(files) == len(LANGUAGES)
    for f in files:
        assert f.stat().st_size <= rm.MAX_IMAGE_BYTES
        with Image.open(f) as im:
            assert im.size == (2500, 1686)
    ja = Image.open(tmp_path / "richmenu-ja.png").convert("RGB")
    # the first tile is drawn in its colour with white text on it
    tile = ja.crop((40, 40, 800, 800))
    colours = tile.getcolors(maxcolors=1 << 20)
    assert any(c[1] == (255, 255, 255) for c in colours) and any(c[1] == (0x2e, 0x7d, 0x32) for c in colours)


def test_images_with_tenant_and_languages(tmp_path):
    _have_fonts()
    args = argparse.Namespace(rm_cmd="images", tenant="katori", out=str(tmp_path), languages="ja,ne")
    assert rm.main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["richmenu-katori-ja.png", "richmenu-katori-ne.png"]


def test_missing_font_fails_with_a_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rm, "CJK_CANDIDATES", [])
    monkeypatch.setattr(rm, "_fc_list", lambda lang: [])
    monkeypatch.delenv("MADOGUCHI_FONT_CJK", raising=False)
    with pytest.raises(rm.RichMenuError, match="fonts-noto-cjk"):
        rm.find_font("cjk")
    args = argparse.Namespace(rm_cmd="images", tenant=None, out=str(tmp_path), languages="ja")
    assert rm.main(args) == 1
    assert "apt-get install fonts-noto-cjk" in capsys.readouterr().err
    monkeypatch.setenv("MADOGUCHI_FONT_CJK", str(tmp_path / "nope.ttf"))
    with pytest.raises(rm.RichMenuError, match="does not exist"):
        rm.find_font("cjk")


def test_unknown_language_is_refused(capsys, tmp_path):
    args = argparse.Namespace(rm_cmd="images", tenant=None, out=str(tmp_path), languages="ja,klingon")
    assert rm.main(args) == 1
    assert "klingon" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- deploy

FOLLOWER_EN = "U" + "e" * 32
FOLLOWER_JA = "U" + "f" * 32
FOLLOWER_NONE = "U" + "9" * 32


@pytest.fixture
def menu_api(line_api):
    made = []

    def create(request):
        body = json.loads(request.get_data())
        rid = f"richmenu-{len(made) + 1:04d}"
        made.append((rid, body))
        return Response(json.dumps({"richMenuId": rid}), status=200, content_type="application/json")

    old = {"richMenuId": "richmenu-old", "name": "madoguchi-katori-ja", "size": {"width": 2500, "height": 1686},
           "selected": True, "chatBarText": "メニュー", "areas": []}
    line_api.expect_request("/v2/bot/richmenu/list", method="GET").respond_with_json({"richmenus": [old]})
    line_api.expect_request("/v2/bot/richmenu", method="POST").respond_with_handler(create)
    line_api.expect_request("/v2/bot/richmenu/richmenu-old", method="DELETE").respond_with_json({})
    # the Japanese alias exists already (400), the others are new
    line_api.expect_oneshot_request("/v2/bot/richmenu/alias", method="POST").respond_with_json(
        {"message": "conflict richmenu alias id"}, status=400)
    line_api.expect_request("/v2/bot/richmenu/alias", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/followers/ids", method="GET").respond_with_json(
        {"userIds": [FOLLOWER_EN, FOLLOWER_JA, FOLLOWER_NONE]})
    line_api.expect_request("/v2/bot/richmenu/bulk/link", method="POST").respond_with_json({}, status=202)
    for i in range(1, 11):
        rid = f"richmenu-{i:04d}"
        line_api.expect_request(f"/v2/bot/richmenu/{rid}/content", method="POST").respond_with_json({})
        line_api.expect_request(f"/v2/bot/user/all/richmenu/{rid}", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/richmenu/alias/mdg-katori-ja", method="POST").respond_with_json({})
    return made


def test_deploy_creates_uploads_sets_default_aliases_and_links(app_env, line_api, menu_api, monkeypatch):
    _have_fonts()
    from bot import privacy
    from bot.recording import open_default_store
    store = open_default_store()
    key = privacy.hash_key_from_env()
    store.set_language("katori", privacy.user_key(FOLLOWER_EN, key), "en")
    store.set_language("katori", privacy.user_key(FOLLOWER_JA, key), "ja")
    store.close()

    args = argparse.Namespace(rm_cmd="deploy", tenant="katori", languages="ja,en,ne")
    assert rm.main(args) == 0

    created = requests_to(line_api, "/v2/bot/richmenu")
    assert [c["json"]["name"] for c in created] == ["madoguchi-katori-ja", "madoguchi-katori-en", "madoguchi-katori-ne"]
    assert created[0]["headers"]["Authorization"] == "Bearer test-access-token"
    assert created[0]["json"]["areas"][0]["action"] == {"type": "postback", "label": "移住・定住",
                                                        "data": "a=topic&t=migration", "displayText": "移住・定住"}
    assert created[1]["json"]["areas"][5]["action"]["data"] == "a=langmenu"
    assert created[1]["json"]["chatBarText"] == "Menu"

    uploads = [(req, req.get_data()) for req, _ in line_api.log if req.path.endswith("/content")]
    assert [r.path for r, _ in uploads] == [f"/v2/bot/richmenu/richmenu-000{i}/content" for i in (1, 2, 3)]
    for req, data in uploads:
        assert req.headers["Content-Type"] == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) <= rm.MAX_IMAGE_BYTES
        from PIL import Image
        assert Image.open(io.BytesIO(data)).size == (2500, 1686)

    defaults = [req.path for req, _ in line_api.log if req.path.startswith("/v2/bot/user/all/richmenu/")]
    assert defaults == ["/v2/bot/user/all/richmenu/richmenu-0001"]          # Japanese is the default

    aliases = requests_to(line_api, "/v2/bot/richmenu/alias")
    assert [a["json"] for a in aliases] == [
        {"richMenuAliasId": "mdg-katori-ja", "richMenuId": "richmenu-0001"},
        {"richMenuAliasId": "mdg-katori-en", "richMenuId": "richmenu-0002"},
        {"richMenuAliasId": "mdg-katori-ne", "richMenuId": "richmenu-0003"}]
    [update] = requests_to(line_api, "/v2/bot/richmenu/alias/mdg-katori-ja")     # the existing alias moved over
    assert update["json"] == {"richMenuId": "richmenu-0001"}

    [link] = requests_to(line_api, "/v2/bot/richmenu/bulk/link")
    assert link["json"] == {"richMenuId": "richmenu-0002", "userIds": [FOLLOWER_EN]}   # only the English reader

    assert any(req.path == "/v2/bot/richmenu/richmenu-old" and req.method == "DELETE" for req, _ in line_api.log)


def test_deploy_without_followers_api_still_deploys(app_env, line_api, monkeypatch):
    _have_fonts()
    made = []

    def create(request):
        made.append(1)
        return Response(json.dumps({"richMenuId": f"rm{len(made)}"}), content_type="application/json")

    line_api.expect_request("/v2/bot/richmenu/list", method="GET").respond_with_json({"richmenus": []})
    line_api.expect_request("/v2/bot/richmenu", method="POST").respond_with_handler(create)
    line_api.expect_request("/v2/bot/richmenu/rm1/content", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/richmenu/rm2/content", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/richmenu/alias", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/user/all/richmenu/rm1", method="POST").respond_with_json({})
    line_api.expect_request("/v2/bot/followers/ids", method="GET").respond_with_json(
        {"message": "Access to this API is not available for your account"}, status=403)
    out = rm.deploy("katori", ["ja", "en"], echo=lambda *_: None)
    assert out == {"menus": {"ja": "rm1", "en": "rm2"}, "default": "rm1", "linked": 0}


def test_deploy_needs_a_token(app_env, monkeypatch, capsys):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    args = argparse.Namespace(rm_cmd="deploy", tenant="katori", languages="ja")
    assert rm.main(args) == 1
    assert "LINE_CHANNEL_ACCESS_TOKEN" in capsys.readouterr().err
