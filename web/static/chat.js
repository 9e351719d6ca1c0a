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
    source: {ja: "出典", "ja-easy": "でどころ", en: "Source", zh: "出处", ko: "출처", vi: "Nguồn", tl: "Pinagmulan", pt: "Fonte", ne: "स्रोत", id: "Sumber"},
    phone: {ja: "電話", "ja-easy": "でんわ", en: "Phone", zh: "电话", ko: "전화", vi: "Điện thoại", tl: "Telepono", pt: "Telefone", ne: "फोन", id: "Telepon"},
    hours: {ja: "受付", "ja-easy": "じかん", en: "Hours", zh: "时间", ko: "시간", vi: "Giờ", tl: "Oras", pt: "Horário", ne: "समय", id: "Jam"},
    place: {ja: "場所", "ja-easy": "ばしょ", en: "Place", zh: "地点", ko: "장소", vi: "Địa điểm", tl: "Lugar", pt: "Local", ne: "स्थान", id: "Tempat"},
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

  // The same content as the LINE card (handlers/line_messages.py): title, answer, target line, 担当課 box,
  // source in small print, feedback buttons; choices and related questions as buttons; a talk-to-a-person button.
  function contactNames(c, lang) {
    const ja = (c.name || "").trim();
    if (lang === "ja" || lang === "ja-easy") return [ja, null];
    let local = (c.name_local || "").trim();
    const m = local.match(/\s*[（(]([^()（）]*)[)）]\s*$/);
    if (m && m[1].trim() === ja) local = local.slice(0, m.index).trim();
    return (!local || local === ja) ? [ja, null] : [ja, local];
  }

  function sectionBox(contacts, lang) {
    if (!contacts || !contacts.length) return null;
    const s = el("div", "section");
    s.appendChild(el("span", "label", L("section", lang)));
    contacts.slice(0, 3).forEach(c => {
      const [ja, local] = contactNames(c, lang);
      if (!ja && !local) return;
      s.appendChild(el("strong", null, ja || local));
      if (ja && local) s.appendChild(el("div", "local", local));
      ["phone", "hours", "place"].forEach(k => {
        if (typeof c[k] === "string" && c[k].trim()) {
          const row = el("div", "row");
          row.appendChild(el("span", "key", L(k, lang)));
          if (k === "phone") {
            const a = el("a", null, c[k]); a.href = "tel:" + c[k].replace(/[^0-9+]/g, ""); row.appendChild(a);
          } else row.appendChild(el("span", null, c[k]));
          s.appendChild(row);
        }
      });
    });
    return s;
  }

  function buttonRow(items, cls) {
    const row = el("div", "buttons" + (cls ? " " + cls : ""));
    items.forEach(([label, onClick, primary]) => {
      const b = el("button", primary ? "primary" : null, label); b.type = "button";
      b.addEventListener("click", onClick); row.appendChild(b);
    });
    return row;
  }

  function render(a) {
    const lang = a.language || "ja";
    const box = el("div", "msg bot card");
    box.lang = lang === "ja-easy" ? "ja" : lang;
    if (a.kind === "answer") {
      if (a.title) box.appendChild(el("h2", null, a.title));
      box.appendChild(el("div", "text", a.body || a.text));
      if (a.target_line) box.appendChild(el("div", "target", a.target_line));
      const s = sectionBox(a.contacts, lang); if (s) box.appendChild(s);
      const srcs = (a.sources || []).slice(0, 2).map(x => [x.document, x.section].filter(Boolean).join(" ")).filter(Boolean).join("; ");
      if (srcs) box.appendChild(el("div", "source", L("source", lang) + ": " + srcs));
      if (a.message_id) {
        const fb = el("div", "buttons feedback");
        ["helpful", "not_helpful"].forEach(v => {
          const b = el("button", v === "helpful" ? "primary" : "", L(v, lang));
          b.type = "button";
          b.addEventListener("click", async () => {
            fb.querySelectorAll("button").forEach(x => x.disabled = true);
            try { await fetch("/api/feedback", {method: "POST", headers: {"Content-Type": "application/json"}, credentials: "same-origin",
                  body: JSON.stringify({tenant: a.tenant, message_id: a.message_id, value: v})}); } catch (e) {}
            fb.appendChild(el("span", null, L("thanks", lang)));
          });
          fb.appendChild(b);
        });
        box.appendChild(fb);
      }
      const related = (a.related || []).filter(r => r && r.entry_id);
      if (related.length) box.appendChild(buttonRow(related.map(r => [r.title || r.entry_id, () => ask("", r.entry_id, r.title)]), "related"));
    } else {
      box.appendChild(el("div", "text", a.text));
      const choices = (a.choices || []).filter(c => c && c.entry_id);
      if (choices.length) box.appendChild(buttonRow(choices.map(c => [c.title || c.entry_id, () => ask("", c.entry_id, c.title)]), "choices"));
      if (a.handoff) { const s = sectionBox(a.contacts, lang); if (s) box.appendChild(s); }
    }
    if (!a.handoff) box.appendChild(buttonRow([[L("person", lang), () => ask(L("person", lang))]], "person"));
    log.appendChild(box);
    scroll();
  }

  form.addEventListener("submit", e => { e.preventDefault(); const t = q.value.trim(); if (!t) return; q.value = ""; ask(t); });
  q.addEventListener("keydown", e => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); } });
})();
