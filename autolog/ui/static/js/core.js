/* autolog UI: shared helpers. Every string from the store goes into the page as text
   (textContent, setAttribute of inert attributes), never as markup. */
"use strict";
(function () {
  const AL = (window.AL = window.AL || {});
  AL.pages = {};

  /* h(tag, attrs, ...children): build an element. attrs: class, text, title, href (an
     app-relative URL only), on<event>: function, data-*: value, any other inert attribute. */
  AL.h = function (tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = String(v);
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "href" || k === "src") {
        const s = String(v);
        if (!(s.startsWith("/") && !s.startsWith("//"))) throw new Error("refused URL " + s);
        el.setAttribute(k, s);
      } else if (k.startsWith("on")) throw new Error("refused attribute " + k);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    AL.append(el, children);
    return el;
  };

  AL.append = function (el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  };

  AL.clear = function (el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  };

  /* An app URL: path segments encoded, query from an object (arrays repeat the key). */
  AL.url = function (path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else q.append(k, v);
    }
    const s = q.toString();
    return s ? path + "?" + s : path;
  };
  AL.enc = encodeURIComponent;

  AL.ApiError = class extends Error {
    constructor(status, message) { super(message); this.status = status; }
  };

  AL.api = async function (path, params) {
    const response = await fetch(AL.url(path, params), { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const message = body && body.error ? body.error : "HTTP " + response.status;
      throw new AL.ApiError(response.status, message);
    }
    return body;
  };

  AL.query = function () { return new URLSearchParams(window.location.search); };

  /* Update the page's URL (so the view can be shared or reloaded) without a reload. */
  AL.replaceQuery = function (params) {
    window.history.replaceState(null, "", AL.url(window.location.pathname, params));
  };

  AL.fmtTime = function (ms) {
    if (!ms) return "-";
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
      p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  };

  AL.fmtDuration = function (start, end) {
    if (!start) return "-";
    const s = ((end || Date.now()) - start) / 1000;
    if (s < 60) return s.toFixed(1) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + Math.round(s % 60) + "s";
    return Math.floor(s / 3600) + "h " + Math.round((s % 3600) / 60) + "m";
  };

  AL.fmtValue = function (v) {
    if (v === undefined || v === null) return "";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return String(v);
      const a = Math.abs(v);
      return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(+v.toPrecision(6));
    }
    return String(v);
  };

  AL.fmtBytes = function (n) {
    if (n === null || n === undefined) return "";
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  };

  AL.statusBadge = function (status) {
    return AL.h("span", { class: "status status-" + String(status).toLowerCase(), text: status });
  };

  AL.main = function () { return document.getElementById("main"); };

  AL.setTitle = function (...parts) {
    document.title = parts.filter(Boolean).join(" · ") + " · autolog";
  };

  AL.errorBox = function (message) {
    return AL.h("div", { class: "error-box", role: "alert", text: message });
  };

  /* A two-column table of key/value pairs (values as text). */
  AL.kvTable = function (obj, opts) {
    const entries = Object.entries(obj || {});
    if (!entries.length) return AL.h("p", { class: "muted", text: (opts && opts.empty) || "none" });
    return AL.h("table", { class: "kv" + (opts && opts.cls ? " " + opts.cls : "") },
      AL.h("tbody", {}, entries.map(([k, v]) =>
        AL.h("tr", {}, AL.h("th", { text: k }), AL.h("td", { text: AL.fmtValue(v) })))));
  };

  AL.section = function (title, ...children) {
    return AL.h("section", { class: "card" }, AL.h("h2", { text: title }), ...children);
  };

  /* Tabs whose choice lives in the URL (?tab=). render(name) fills the panel. */
  AL.tabs = function (names, current, render) {
    const bar = AL.h("div", { class: "tabs", role: "tablist" });
    const panel = AL.h("div", { class: "tab-panel" });
    const show = (name) => {
      for (const b of bar.children) b.classList.toggle("active", b.dataset.tab === name);
      AL.clear(panel);
      const q = AL.query(); q.set("tab", name);
      if (name !== "artifacts") q.delete("artifact");
      window.history.replaceState(null, "", window.location.pathname + "?" + q.toString());
      render(name, panel);
    };
    for (const [name, label] of names) {
      bar.appendChild(AL.h("button", { class: "tab", role: "tab", "data-tab": name, text: label,
        onclick: () => show(name) }));
    }
    return { el: AL.h("div", {}, bar, panel), show };
  };

  /* Poll fn every ms while keepGoing() says so and the page is the same. */
  AL.poll = function (fn, ms, keepGoing) {
    const tick = async () => {
      if (!keepGoing()) return;
      try { await fn(); } catch (e) { /* shown by fn */ }
      window.setTimeout(tick, ms);
    };
    window.setTimeout(tick, ms);
  };

  AL.palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
    "#db2777", "#4b5563", "#65a30d"];
  AL.color = function (i) {
    if (i < AL.palette.length) return AL.palette[i];
    return "hsl(" + ((i * 137.5) % 360).toFixed(0) + ", 65%, 45%)";
  };
})();
