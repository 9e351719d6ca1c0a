"""`madoguchi` as the contract describes it."""
import json
import subprocess
import sys

from conftest import REPO

CMD = [sys.executable, "-m", "bot.cli"]


def run(args, stdin=None):
    return subprocess.run([*CMD, *args], input=stdin, capture_output=True, text=True, cwd=REPO)


def test_ask_jsonl_prints_one_answer_object_per_line_in_order():
    lines = [{"tenant": "katori", "text": "市長への手紙を出したい"}, {"tenant": "toyota", "text": "ありがとう"},
             {"tenant": "nowhere", "text": "x"}, {"tenant": "iruma", "text": "Who won the World Cup?", "top": 5}]
    r = run(["ask", "--jsonl"], "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines))
    assert r.returncode == 0, r.stderr
    out = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["answered"] and "市長への手紙" in out[0]["text"]
    assert out[1]["kind"] == "smalltalk"
    assert out[2]["answered"] is False and out[2]["error"] == "unknown tenant"
    assert len(out[3]["candidates"]) <= 5 and out[3]["answered"] is False


def test_ask_jsonl_top_flag_sets_the_default():
    r = run(["ask", "--jsonl", "--top", "8"], json.dumps({"tenant": "katori", "text": "国際交流"}) + "\n")
    assert len(json.loads(r.stdout)["candidates"]) == 8


def test_ask_json_prints_the_object():
    r = run(["ask", "--tenant", "katori", "--json", "--lang", "en", "市長への手紙を出したい"])
    a = json.loads(r.stdout)
    assert a["language"] == "en" and a["answered"]


def test_ask_plain_prints_the_reply_text():
    r = run(["ask", "--tenant", "katori", "市長への手紙を出したい"])
    assert r.returncode == 0 and "秘書広報課" in r.stdout


def test_ask_does_not_log_without_log_flag(tmp_path):
    db = tmp_path / "x.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "MADOGUCHI_ENV": "development"}
    subprocess.run([*CMD, "ask", "--jsonl"], input=json.dumps({"tenant": "katori", "text": "こんにちは"}) + "\n",
                   capture_output=True, text=True, cwd=REPO, env=env)
    assert not db.exists()
    subprocess.run([*CMD, "ask", "--jsonl", "--log"], input=json.dumps({"tenant": "katori", "text": "電話 03-1234-5678 の件"}) + "\n",
                   capture_output=True, text=True, cwd=REPO, env=env)
    assert db.exists() and b"03-1234-5678" not in db.read_bytes()


def test_logs_export_writes_masked_rows_without_user_keys(tmp_path):
    db = tmp_path / "x.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "MADOGUCHI_ENV": "development"}
    subprocess.run([*CMD, "ask", "--jsonl", "--log"],
                   input=json.dumps({"tenant": "katori", "text": "メール taro@example.jp 市長への手紙"}) + "\n",
                   capture_output=True, text=True, cwd=REPO, env=env)
    out = tmp_path / "q.csv"
    r = subprocess.run([*CMD, "logs", "export", "--tenant", "katori", str(out)], capture_output=True, text=True,
                       cwd=REPO, env=env)
    assert r.returncode == 0, r.stderr
    text = out.read_bytes().decode("utf-8-sig")
    assert "taro@example.jp" not in text and "[メール]" in text and "user_key" not in text
