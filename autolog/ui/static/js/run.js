/* autolog UI: the run page (/runs/<id>?tab=overview|metrics|system|artifacts|model). */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;
  const LIVE_MS = 3000;
  const MAX_BATCH_KEYS = 200;

  /* Parse JSON text, and the JSON text nested in its string values (MLflow's schemas). */
  function jsonOrText(text, depth) {
    if (text === null || text === undefined) return null;
    let value;
    try { value = JSON.parse(text); } catch (e) { return text; }
    const deep = (v, d) => {
      if (typeof v === "string" && d < 4 && /^\s*[[{]/.test(v)) return jsonOrText(v, d + 1);
      if (Array.isArray(v)) return v.map((x) => deep(x, d));
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x, d)]));
      return v;
    };
    return deep(value, depth || 0);
  }

  function pre(value, cls) {
    return h("pre", { class: "code" + (cls ? " " + cls : ""),
      text: typeof value === "string" ? value : JSON.stringify(value, null, 2) });
  }

  /* A params/tags table with a find box when it is long. */
  function searchableKv(obj, label) {
    const entries = Object.entries(obj);
    const holder = h("div", {});
    const draw = (needle) => {
      AL.clear(holder);
      const shown = entries.filter(([k, v]) => !needle || k.toLowerCase().includes(needle) || String(v).toLowerCase().includes(needle));
      holder.appendChild(AL.kvTable(Object.fromEntries(shown), { empty: "no " + label }));
    };
    draw("");
    if (entries.length <= 12) return holder;
    const box = h("input", { type: "search", placeholder: "find " + label, class: "kv-search", "aria-label": "find " + label });
    box.addEventListener("input", () => draw(box.value.toLowerCase()));
    return h("div", {}, box, holder);
  }

  /* A dataset schema: MLflow's tensor or column specs as a table, anything else as JSON. */
  function schemaView(schema) {
    if (schema === null || schema === undefined) return h("p", { class: "muted", text: "none" });
    const rows = [];
    if (schema && typeof schema === "object" && schema.mlflow_tensorspec) {
      for (const [part, specs] of Object.entries(schema.mlflow_tensorspec)) {
        for (const spec of Array.isArray(specs) ? specs : [specs]) {
          const t = spec && spec["tensor-spec"];
          rows.push([spec && spec.name ? part + "." + spec.name : part, "tensor",
            t ? t.dtype + " " + JSON.stringify(t.shape) : JSON.stringify(spec)]);
        }
      }
    } else if (schema && typeof schema === "object" && Array.isArray(schema.mlflow_colspec)) {
      for (const col of schema.mlflow_colspec) rows.push([col.name || "-", col.type, col.required === false ? "optional" : ""]);
    }
    if (!rows.length) return pre(schema);
    return h("table", { class: "grid schema" }, h("thead", {}, h("tr", {}, ["name", "type", "details"].map((t) => h("th", { text: t })))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { text: c, class: i === 2 ? "mono" : null }))))));
  }

  function datasets(inputs) {
    if (!inputs.length) return h("p", { class: "muted", text: "no dataset inputs" });
    return inputs.map((d) => {
      const schema = jsonOrText(d.schema);
      const profile = jsonOrText(d.profile);
      return h("div", { class: "dataset" },
        h("h3", {}, h("span", { text: d.name }), " ", h("span", { class: "pill", text: d.context || "input" }),
          " ", h("span", { class: "mono muted", text: "digest " + d.digest })),
        h("div", { class: "two-col" },
          h("div", {}, h("h4", { text: "Schema" }), schemaView(schema)),
          h("div", {}, h("h4", { text: "Profile" }), profile && typeof profile === "object" ? AL.kvTable(
            Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : v])))
            : pre(profile || "none"),
          h("h4", { text: "Source (" + d.source_type + ")" }), pre(jsonOrText(d.source)))));
    });
  }

  function overview(run, panel) {
    const i = run.info;
    const userMetrics = Object.fromEntries(Object.entries(run.metrics).filter(([k]) => !k.startsWith("system/")));
    const userTags = Object.fromEntries(Object.entries(run.tags).filter(([k]) => !k.startsWith("mlflow.")));
    const systemTags = Object.fromEntries(Object.entries(run.tags).filter(([k]) => k.startsWith("mlflow.")));
    const about = {
      "Run ID": i.run_id, "Status": i.status, "Started": AL.fmtTime(i.start_time), "Ended": AL.fmtTime(i.end_time),
      "Duration": AL.fmtDuration(i.start_time, i.end_time), "User": i.user_id, "Artifact URI": i.artifact_uri,
    };
    const aboutTable = AL.kvTable(about, { cls: "about" });
    if (i.parent_run_id) {
      aboutTable.querySelector("tbody").appendChild(h("tr", {}, h("th", { text: "Parent run" }),
        h("td", {}, h("a", { href: "/runs/" + AL.enc(i.parent_run_id), text: i.parent_run_id, class: "mono" }))));
    }
    panel.appendChild(h("div", { class: "grid-2" },
      AL.section("Run", aboutTable),
      AL.section("Metrics (latest values)", searchableKv(userMetrics, "metrics"))));
    panel.appendChild(h("div", { class: "grid-2" },
      AL.section("Parameters (" + Object.keys(run.params).length + ")", h("div", { class: "params" }, searchableKv(run.params, "parameters"))),
      AL.section("Tags", h("div", { class: "tags" }, searchableKv(userTags, "tags")),
        h("details", {}, h("summary", { text: "mlflow.* tags (" + Object.keys(systemTags).length + ")" }), AL.kvTable(systemTags)))));
    panel.appendChild(AL.section("Datasets", h("div", { class: "datasets" }, datasets(run.inputs))));
    const kids = h("div", { class: "child-runs" });
    panel.appendChild(kids);
    AL.api("/api/experiments/" + AL.enc(i.experiment_id) + "/runs", {
      filter: "tags.`mlflow.parentRunId` = '" + i.run_id + "'", limit: 1000,
    }).then((data) => {
      if (!data.rows.length) return;
      const ids = data.rows.map((r) => r.run_id);
      kids.appendChild(AL.section("Child runs (" + data.total + ")",
        h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Run", "Status", "Started", "Duration"].map((t) => h("th", { text: t })))),
          h("tbody", {}, data.rows.map((r) => h("tr", {},
            h("td", {}, h("a", { href: "/runs/" + AL.enc(r.run_id), text: r.run_name || r.run_id, class: "run-link" })),
            h("td", {}, AL.statusBadge(r.status)), h("td", { text: AL.fmtTime(r.start_time) }),
            h("td", { text: AL.fmtDuration(r.start_time, r.end_time) }))))),
        ids.length >= 2 ? h("p", {}, h("a", { href: AL.url("/compare", { runs: [i.run_id, ...ids.slice(0, 99)].join(",") }),
          text: "Compare this run with its child runs", class: "compare-children" })) : null));
    }).catch((e) => kids.appendChild(AL.errorBox(e.message)));
  }

  /* Charts of the run's metrics whose name passes keep(); one batch request. */
  async function charts(run, panel, keep, state, emptyText) {
    const keys = Object.keys(run.metrics).filter(keep);
    const controls = AL.charts.controls(state, () => draw());
    const grid = h("div", { class: "chart-grid" });
    const singles = h("div", {});
    const head = h("div", { class: "charts-head" }, controls);
    panel.appendChild(head);
    panel.appendChild(grid);
    panel.appendChild(singles);
    if (!keys.length) { grid.appendChild(h("p", { class: "muted", text: emptyText })); return; }
    const data = await AL.api("/api/history", { runs: run.info.run_id, key: keys.slice(0, MAX_BATCH_KEYS), points: 1000 });
    const multi = data.series.filter((s) => s.total > 1);
    const single = data.series.filter((s) => s.total <= 1);
    function draw() {
      AL.clear(grid);
      for (const s of multi) {
        const target = h("div", { class: "chart", "data-key": s.key });
        const card = h("div", { class: "chart-card" }, target,
          s.decimated ? h("div", { class: "muted small", text: s.total + " points, " + s.value.length + " drawn (min/max kept per bucket)" }) : null);
        grid.appendChild(card);
        AL.charts.lines(target, { title: s.key, mode: state.mode, smoothing: state.smoothing,
          series: [{ label: s.key, step: s.step, timestamp: s.timestamp, value: s.value, total: s.total }] });
      }
      head.hidden = !multi.length;
      if (!multi.length && !single.length) grid.appendChild(h("p", { class: "muted", text: emptyText }));
    }
    draw();
    if (single.length) {
      singles.appendChild(AL.section("Single values", AL.kvTable(Object.fromEntries(single.map((s) => [s.key, s.value[0]])))));
    }
    if (keys.length > MAX_BATCH_KEYS) singles.appendChild(h("p", { class: "muted", text: "Showing the first " + MAX_BATCH_KEYS + " of " + keys.length + " metrics." }));
  }

  async function metricsTab(run, panel, state) {
    await charts(run, panel, (k) => !k.startsWith("system/"), state, "This run has no metrics.");
    const plots = await AL.api("/api/runs/" + AL.enc(run.info.run_id) + "/plots");
    if (plots.plots.length) {
      panel.appendChild(AL.section("Plots", h("div", { class: "plots" }, plots.plots.map((p) => AL.charts.plot(p)))));
    }
  }

  function signatureTable(spec) {
    const cols = jsonOrText(spec);
    if (!Array.isArray(cols)) return pre(cols === null ? "none" : cols);
    return h("table", { class: "grid signature" }, h("thead", {}, h("tr", {}, ["name", "type", "shape / details"].map((t) => h("th", { text: t })))),
      h("tbody", {}, cols.map((c) => h("tr", {}, h("td", { text: c.name || "-" }), h("td", { text: c.type }),
        h("td", { class: "mono", text: c["tensor-spec"] ? c["tensor-spec"].dtype + " " + JSON.stringify(c["tensor-spec"].shape) : (c.required === false ? "optional" : "") })))));
  }

  async function modelTab(run, panel) {
    const data = await AL.api("/api/runs/" + AL.enc(run.info.run_id) + "/models");
    if (!data.models.length) { panel.appendChild(h("p", { class: "muted", text: "This run logged no model." })); return; }
    for (const m of data.models) {
      const sig = m.signature || {};
      panel.appendChild(AL.section("Model " + m.path,
        h("p", {}, "Flavors: ", m.flavors.map((f) => h("span", { class: "pill", text: f })), "  ",
          h("a", { href: AL.url("/runs/" + AL.enc(run.info.run_id), { tab: "artifacts", artifact: m.path + "/MLmodel" }), text: "files" })),
        h("h4", { text: "Load it" }), pre(["import autolog", m.load[0], "", "# or, with MLflow installed", "import mlflow", m.load[1]].join("\n"), "load-code"),
        h("div", { class: "two-col" },
          h("div", {}, h("h4", { text: "Signature: inputs" }), signatureTable(sig.inputs || null)),
          h("div", {}, h("h4", { text: "Signature: outputs" }), signatureTable(sig.outputs || null))),
        sig.params ? h("div", {}, h("h4", { text: "Signature: params" }), pre(jsonOrText(sig.params))) : null,
        h("h4", { text: "Input example" }), m.input_example === null ? h("p", { class: "muted", text: "none logged" }) : pre(jsonOrText(m.input_example)),
        h("details", {}, h("summary", { text: "Flavor details" }), pre(m.flavor_details))));
    }
  }

  AL.pages.run = async function (main, runId) {
    let run = await AL.api("/api/runs/" + AL.enc(runId));
    const i = run.info;
    AL.setTitle(i.run_name || i.run_id);
    const status = h("span", {}, AL.statusBadge(i.status));
    let crumb = null;
    main.appendChild(h("div", { class: "page-head" },
      h("h1", {}, h("a", { href: "/", text: "Experiments", class: "crumb" }), " / ",
        crumb = h("a", { href: "/experiments/" + AL.enc(i.experiment_id), text: "experiment " + i.experiment_id, class: "crumb" }),
        " / ", h("span", { class: "run-name", text: i.run_name || i.run_id })), status,
      h("span", { class: "mono muted", text: i.run_id })));
    const state = { mode: "step", smoothing: 0 };
    const system = { mode: "relative", smoothing: 0 };
    const tabs = AL.tabs([["overview", "Overview"], ["metrics", "Metrics"], ["system", "System metrics"],
      ["artifacts", "Artifacts"], ["model", "Model"]], null, (name, panel) => {
      let work;
      if (name === "metrics") work = metricsTab(run, panel, state);
      else if (name === "system") work = charts(run, panel, (k) => k.startsWith("system/"), system, "No system metrics were logged for this run.");
      else if (name === "artifacts") work = AL.artifactBrowser(run, panel, AL.query().get("artifact") || "");
      else if (name === "model") work = modelTab(run, panel);
      else overview(run, panel);
      if (work) work.catch((e) => panel.appendChild(AL.errorBox(e.message)));
    });
    main.appendChild(tabs.el);
    AL.api("/api/experiments").then((d) => {  // the experiment's name (the list is cheap)
      const e = d.experiments.find((x) => x.experiment_id === i.experiment_id);
      if (e && crumb) crumb.textContent = e.name;
    }).catch(() => {});
    let current = AL.query().get("tab") || "overview";
    if (!["overview", "metrics", "system", "artifacts", "model"].includes(current)) current = "overview";
    tabs.show(current);
    AL.poll(async () => {
      if (run.info.status !== "RUNNING") return;
      run = await AL.api("/api/runs/" + AL.enc(runId));
      AL.clear(status).appendChild(AL.statusBadge(run.info.status));
      const tab = AL.query().get("tab") || "overview";
      if (tab !== "artifacts" && tab !== "model") tabs.show(tab);
    }, LIVE_MS, () => document.body.contains(tabs.el));
  };
})();
