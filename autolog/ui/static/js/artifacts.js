/* autolog UI: the artifact browser of a run: a folder tree and a preview of the chosen file
   (images, text, JSON, CSV as a table, HTML in a sandboxed frame, plot JSON as a chart). */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;
  const IMAGES = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg"];
  const TEXT = ["txt", "log", "md", "yaml", "yml", "py", "ini", "cfg", "toml", "rst", "xml", "sh", "jsonl"];
  const MAX_CSV_ROWS = 500;

  function ext(path) {
    const name = path.split("/").pop();
    return name.includes(".") ? name.split(".").pop().toLowerCase() : "";
  }

  function fileUrl(runId, path, extra) {
    return AL.url("/api/runs/" + AL.enc(runId) + "/artifact", Object.assign({ path }, extra || {}));
  }

  /* RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
  function parseCsv(text, maxRows) {
    const rows = [];
    let row = [], field = "", quoted = false;
    for (let i = 0; i < text.length && rows.length <= maxRows; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(field); field = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(field); rows.push(row); row = []; field = "";
      } else field += c;
    }
    if (field !== "" || row.length) { row.push(field); rows.push(row); }
    return rows;
  }

  function csvTable(text) {
    const rows = parseCsv(text, MAX_CSV_ROWS + 1);
    if (!rows.length) return h("p", { class: "muted", text: "empty file" });
    const [head, ...body] = rows;
    return h("div", { class: "csv-wrap" }, h("table", { class: "grid csv" },
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { text: c })))),
      h("tbody", {}, body.slice(0, MAX_CSV_ROWS).map((r) => h("tr", {}, r.map((c) => h("td", { text: c })))))),
    body.length > MAX_CSV_ROWS ? h("p", { class: "muted", text: "first " + MAX_CSV_ROWS + " rows shown" }) : null);
  }

  async function preview(run, path, entry, target) {
    AL.clear(target);
    const runId = run.info.run_id;
    const e = ext(path);
    const head = h("div", { class: "preview-head" }, h("span", { class: "mono preview-path", text: path }),
      entry && entry.size !== null ? h("span", { class: "muted", text: AL.fmtBytes(entry.size) }) : null,
      h("a", { href: fileUrl(runId, path, { download: "1" }), text: "download", class: "download" }));
    target.appendChild(head);
    if (IMAGES.includes(e)) {
      target.appendChild(h("div", { class: "image-preview" }, h("img", { src: fileUrl(runId, path), alt: path, class: "artifact-image" })));
      return;
    }
    if (e === "html" || e === "htm") {
      target.appendChild(h("p", { class: "muted small", text: "Shown in a sandbox: no script of this file runs." }));
      target.appendChild(h("iframe", { sandbox: "", src: fileUrl(runId, path), class: "html-preview", title: path, referrerpolicy: "no-referrer" }));
      return;
    }
    const textual = e === "json" || e === "csv" || e === "tsv" || TEXT.includes(e) || ["MLmodel", "LICENSE"].includes(path.split("/").pop());
    if (!textual && !(entry && entry.size !== null && entry.size < 65536)) {
      target.appendChild(h("p", { class: "muted", text: "No preview for this kind of file." }));
      return;
    }
    const response = await fetch(fileUrl(runId, path, { preview: "1" }));
    if (!response.ok) {
      let message = "HTTP " + response.status;
      try { message = (await response.json()).error || message; } catch (err) { /* keep */ }
      target.appendChild(AL.errorBox(message));
      return;
    }
    const text = await response.text();
    if (response.headers.get("X-Artifact-Truncated")) target.appendChild(h("p", { class: "muted small", text: "Preview of the first MiB." }));
    if (e === "json") {
      let data;
      try { data = JSON.parse(text); } catch (err) { data = undefined; }
      if (data !== undefined) {
        const name = path.split("/").pop();
        const type = data && data.type ? data.type : (name.startsWith("feature_importance_") ? "feature_importance" : null);
        if (["confusion_matrix", "roc_curve", "precision_recall_curve", "feature_importance"].includes(type)) {
          target.appendChild(AL.charts.plot({ path, type, data }));
        }
        target.appendChild(h("pre", { class: "code", text: JSON.stringify(data, null, 2) }));
        return;
      }
    }
    if (e === "csv") { target.appendChild(csvTable(text)); return; }
    target.appendChild(h("pre", { class: "code text-preview", text }));
  }

  /* The browser: folders open on click (listed one level at a time). */
  AL.artifactBrowser = async function (run, panel, initial) {
    const runId = run.info.run_id;
    const tree = h("div", { class: "artifact-tree" });
    const view = h("div", { class: "artifact-view" }, h("p", { class: "muted", text: "Choose a file." }));
    panel.appendChild(h("div", { class: "artifacts" }, tree, view));
    const open = (path, entry) => {
      for (const el of tree.querySelectorAll(".artifact.selected")) el.classList.remove("selected");
      const q = AL.query(); q.set("tab", "artifacts"); q.set("artifact", path);
      window.history.replaceState(null, "", window.location.pathname + "?" + q.toString());
      preview(run, path, entry, view).catch((e) => view.appendChild(AL.errorBox(e.message)));
    };
    async function folder(path, into, depth) {
      const data = await AL.api("/api/runs/" + AL.enc(runId) + "/artifacts", { path });
      if (!data.entries.length && depth === 0) into.appendChild(h("p", { class: "muted", text: "No artifacts." }));
      for (const entry of data.entries) {
        const item = h("div", { class: "artifact " + (entry.is_dir ? "dir" : "file"), "data-path": entry.path });
        item.style.paddingLeft = (depth * 16 + 6) + "px";
        const label = h("button", { class: "artifact-name", text: (entry.is_dir ? "▸ " : "") + entry.name, title: entry.path });
        item.appendChild(label);
        const children = h("div", { class: "artifact-children" });
        into.appendChild(item);
        into.appendChild(children);
        let loaded = false;
        label.addEventListener("click", async () => {
          if (entry.is_dir) {
            if (!loaded) { loaded = true; await folder(entry.path, children, depth + 1); }
            else children.hidden = !children.hidden;
            label.textContent = (children.hidden ? "▸ " : "▾ ") + entry.name;
          } else {
            open(entry.path, entry);
            item.classList.add("selected");
          }
        });
        if (initial && (initial === entry.path || initial.startsWith(entry.path + "/"))) {
          if (entry.is_dir) { loaded = true; label.textContent = "▾ " + entry.name; await folder(entry.path, children, depth + 1); }
          else { open(entry.path, entry); item.classList.add("selected"); }
        }
      }
    }
    await folder("", tree, 0);
  };
})();
