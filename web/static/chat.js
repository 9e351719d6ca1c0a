// Madoguchi web chat: every piece of text goes in with textContent, never innerHTML (residents' text is untrusted).
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const q = document.getElementById("q");
  const tenantSel = document.getElementById("tenant");
  const langSel = document.getElementById("lang");
  const LABELS = {
    helpful: {ja: "役に立った", "ja-easy": "やくに たった", en: "Helpful", zh: "有帮助", ko: "도움이 됨", vi: "Hữu ích", tl: "Nakatulong", pt: "Ajudou", ne: "उपयोगी", id: "Membantu"},
    not_helpful: {ja: "役に立たなかった", "ja-easy": "やくに たたなかった", en: "Not helpful", zh: "没有帮助", ko: "도움이 안 됨", vi: "Không hữu ích", tl: "Hindi nakatulong", pt: "Não ajudou", ne: "उपयोगी भएन", id: "Tidak membantu"},
    section: {ja: "担当課", "ja-easy": "たんとう", en: "Section in charge", zh: "负责部门", ko: "담당 부서", vi: "Bộ phận phụ trách", tl: "Seksyon", pt: "Seção responsável", ne: "जिम्मेवार शाखा", id: "Bagian"},
    person: {ja: "人と話したい", "ja-easy": "人と はなしたい", en: "Talk to a person", zh: "转人工", ko: "직원과 상담", vi: "Nói chuyện với người", tl: "Kausapin ang tao", pt: "Falar com alguém", ne: "मानिससँग कुरा", id: "Bicara dengan petugas"},
    thanks: {ja: "ありがとうございました。", "ja-easy": "ありがとう ございます。", en: "Thank you for your feedback.", zh: "感谢反馈。", ko: "감사합니다.", vi: "Cảm ơn.", tl: "Salamat.", pt: "Obrigado.", ne: "धन्यवाद।", id: "Terima kasih."},
    error: {ja: "通信できませんでした。もう一度お試しください。", en: "Could not reach the server. Please try again."}
  };
  const L = (k, lang) => (LABELS[k][lang] || LABELS[k].en || LABELS[k].ja);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };
  const params = new URLSearchParams(location.search);
  if (params.get("lang")) langSel.value = params.get("lang");
  try { const saved = localStorage.getItem("mdg"); if (saved) { const s = JSON.parse(saved); if (!params.get("tenant") && s.t) tenantSel.value = s.t; if (!params.get("lang") && s.l) langSel.value = s.l; } } catch (e) {}
  const remember = () => { try { localStorage.setItem("mdg", JSON.stringify({t: tenantSel.value, l: langSel.value})); } catch (e) {} };
  tenantSel.addEventListener("change", remember); langSel.addEventListener("change", remember);

  function scroll() { window.scrollTo(0, document.body.scrollHeight); }

  async function ask(text, entryId, shown) {
    log.appendChild(el("div", "msg user", shown || text));
    scroll();
    const body = {tenant: tenantSel.value, text: text || ""};
    if (langSel.value) body.lang = langSel.value;
    if (entryId) body.entry_id = entryId;
    let a;
    try {
      const r = await fetch("/api/ask", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), credentials: "same-origin"});
      a = await r.json();
      if (!r.ok) { log.appendChild(el("div", "msg bot", a.message || L("error", langSel.value))); scroll(); return; }
    } catch (e) { log.appendChild(el("div", "msg bot", L("error", langSel.value))); scroll(); return; }
    render(a);
  }

  function render(a) {
    const lang = a.language || "ja";
    const box = el("div", "msg bot card");
    box.lang = lang === "ja-easy" ? "ja" : lang;
    if (a.kind === "answer") {
      if (a.title) box.appendChild(el("h2", null, a.title));
      box.appendChild(el("div", "text", a.body || a.text));
      if (a.target_line) box.appendChild(el("div", "target", a.target_line));
      if (a.contacts && a.contacts.length) {
        const s = el("div", "section");
        s.appendChild(el("span", "label", L("section", lang)));
        a.contacts.slice(0, 2).forEach(c => {
          const name = (c.name_local && c.name_local !== c.name && lang !== "ja" && lang !== "ja-easy") ? c.name_local + " (" + c.name + ")" : c.name;
          s.appendChild(el("strong", null, name));
          const extra = [c.phone, c.hours, c.place].filter(Boolean).join(" / ");
          if (extra) s.appendChild(el("div", null, extra));
        });
        box.appendChild(s);
      }
      const fb = el("div", "buttons");
      ["helpful", "not_helpful"].forEach(v => {
        const b = el("button", v === "helpful" ? "primary" : "", L(v, lang));
        b.type = "button";
        b.addEventListener("click", async () => {
          fb.querySelectorAll("button").forEach(x => x.disabled = true);
          try { await fetch("/api/feedback", {method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
                body: JSON.stringify({tenant: a.tenant, message_id: a.message_id, value: v})}); } catch (e) {}
          fb.appendChild(el("span", null, L("thanks", lang)));
        });
        if (a.message_id) fb.appendChild(b);
      });
      box.appendChild(fb);
      if (a.related && a.related.length) {
        const rel = el("div", "buttons");
        a.related.forEach(r => { const b = el("button", null, r.title); b.type = "button"; b.addEventListener("click", () => ask("", r.entry_id, r.title)); rel.appendChild(b); });
        box.appendChild(rel);
      }
    } else {
      box.appendChild(el("div", "text", a.text));
      const choices = a.choices || [];
      if (choices.length) {
        const cs = el("div", "buttons");
        choices.forEach(c => { const b = el("button", null, c.title); b.type = "button"; b.addEventListener("click", () => ask("", c.entry_id, c.title)); cs.appendChild(b); });
        box.appendChild(cs);
      }
      if (a.kind === "fallback") {
        const p = el("div", "buttons");
        const b = el("button", null, L("person", lang)); b.type = "button";
        b.addEventListener("click", () => ask(L("person", lang)));
        p.appendChild(b); box.appendChild(p);
      }
    }
    const srcs = (a.sources || []).slice(0, 2).map(s => [s.document, s.section].filter(Boolean).join(" ")).join("; ");
    if (srcs && a.kind === "answer") box.appendChild(el("div", "source", srcs));
    log.appendChild(box);
    scroll();
  }

  form.addEventListener("submit", e => { e.preventDefault(); const t = q.value.trim(); if (!t) return; q.value = ""; ask(t); });
  q.addEventListener("keydown", e => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); } });
})();
