/* autolog UI: compare runs (/compare?runs=a,b,c) and the model registry (/models). */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;

  function runHeader(runs) {
    return runs.map((r, i) => {
      const chip = h("span", { class: "chip" });
      chip.style.backgroundColor = AL.color(i);
      return h("th", {}, chip, h("a", { href: "/runs/" + AL.enc(r.info.run_id), text: r.info.run_name || r.info.run_id, class: "run-link" }));
    });
  }

  /* Rows of values per key; rows whose values differ get the class "diff". */
  function diffTable(runs, pick, onlyDiff, cls) {
    const keys = Array.from(new Set(runs.flatMap((r) => Object.keys(pick(r))))).sort();
    const rows = [];
    for (const k of keys) {
      const values = runs.map((r) => pick(r)[k]);
      const differs = new Set(values.map((v) => (v === undefined ? "\u0000missing" : String(v)))).size > 1;
      if (onlyDiff && !differs) continue;
      rows.push(h("tr", { class: differs ? "diff" : "same" }, h("th", { text: k }),
        values.map((v) => h("td", { text: v === undefined ? "—" : AL.fmtValue(v) }))));
    }
    return h("div", { class: "table-scroll" }, h("table", { class: "grid compare " + cls },
      h("thead", {}, h("tr", {}, h("th", { text: "" }), runHeader(runs))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { class: "muted", text: "no differences" })))));
  }

  function scatter(runs) {
    const params = Array.from(new Set(runs.flatMap((r) => Object.keys(r.params)))).sort();
    const uses = new Map();
    runs.forEach((r) => Object.keys(r.metrics).forEach((k) => uses.set(k, (uses.get(k) || 0) + 1)));
    const metrics = Array.from(uses.keys()).filter((k) => !k.startsWith("system/"))
      .sort((a, b) => uses.get(b) - uses.get(a) || a.localeCompare(b));  // shared by most runs first
    if (!params.length || !metrics.length) return h("p", { class: "muted", text: "Needs runs with parameters and metrics." });
    const differing = params.filter((p) => new Set(runs.map((r) => r.params[p])).size > 1);
    const px = h("select", { "aria-label": "parameter", class: "scatter-param" }, params.map((p) => h("option", { value: p, text: p })));
    const my = h("select", { "aria-label": "metric", class: "scatter-metric" }, metrics.map((m) => h("option", { value: m, text: m })));
    px.value = differing[0] || params[0];
    const target = h("div", { class: "chart scatter" });
    const draw = () => AL.charts.scatter(target, { title: my.value + " vs " + px.value, xLabel: px.value, yLabel: my.value,
      points: runs.filter((r) => r.params[px.value] !== undefined && typeof r.metrics[my.value] === "number")
        .map((r) => ({ x: r.params[px.value], y: r.metrics[my.value], label: r.info.run_name })) });
    px.addEventListener("change", draw);
    my.addEventListener("change", draw);
    window.requestAnimationFrame(draw);
    return h("div", {}, h("div", { class: "chart-controls" }, h("label", {}, "parameter ", px), h("label", {}, "metric ", my)), target);
  }

  AL.pages.compare = async function (main) {
    const ids = (AL.query().get("runs") || "").split(",").filter(Boolean);
    const data = await AL.api("/api/runs", { ids: ids.join(",") });
    const runs = data.runs;
    AL.setTitle("Compare " + runs.length + " runs");
    main.appendChild(h("h1", { text: "Compare " + runs.length + " runs" }));
    const onlyDiff = h("input", { type: "checkbox", class: "only-diff" });
    const paramsHolder = h("div", {});
    const drawParams = () => { AL.clear(paramsHolder).appendChild(diffTable(runs, (r) => r.params, onlyDiff.checked, "params")); };
    onlyDiff.addEventListener("change", drawParams);
    drawParams();
    main.appendChild(AL.section("Parameters", h("label", { class: "small" }, onlyDiff, " only the parameters that differ"), paramsHolder));
    main.appendChild(AL.section("Metrics (latest values)", diffTable(runs, (r) => Object.fromEntries(
      Object.entries(r.metrics).filter(([k]) => !k.startsWith("system/"))), false, "metrics")));
    main.appendChild(AL.section("Parameter vs metric", scatter(runs)));
    const state = { mode: "step", smoothing: 0 };
    const grid = h("div", { class: "chart-grid" });
    const loaded = new Map();
    const keys = Array.from(new Set(runs.flatMap((r) => Object.keys(r.metrics)))).sort((a, b) =>
      (a.startsWith("system/") - b.startsWith("system/")) || a.localeCompare(b));
    const names = new Map(runs.map((r, i) => [r.info.run_id, [r.info.run_name || r.info.run_id, i]]));
    const drawOne = (key, target) => {
      const series = loaded.get(key).map((s) => ({ label: names.get(s.run_id)[0], color: AL.color(names.get(s.run_id)[1]),
        step: s.step, timestamp: s.timestamp, value: s.value, total: s.total }));
      if (series.every((s) => s.total <= 1)) {
        AL.charts.bars(target, { title: key, items: series.filter((s) => s.total === 1)
          .map((s) => ({ label: s.label, color: s.color, value: s.value[0] })) });
        return;
      }
      AL.charts.lines(target, { title: key, mode: state.mode, smoothing: state.smoothing, series });
    };
    // Charts load as they come into view, two requests at a time, the one nearest the
    // middle of the window first: a chart the user looks at never waits behind fifty others.
    const waiting = [];
    let inFlight = 0;
    const middle = (el) => Math.abs(el.getBoundingClientRect().top - window.innerHeight / 2);
    const next = () => {
      if (inFlight >= 2 || !waiting.length) return;
      waiting.sort((a, b) => middle(a) - middle(b));
      const target = waiting.shift();
      const key = target.dataset.key;
      inFlight += 1;
      AL.api("/api/history", { runs: ids.join(","), key, points: 1000 }).then((d) => {
        loaded.set(key, d.series);
        drawOne(key, target);
      }).catch((e) => target.appendChild(AL.errorBox(e.message)))
        .finally(() => { inFlight -= 1; next(); });
      next();
    };
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        waiting.push(entry.target);
      }
      next();
    }, { rootMargin: "300px" });
    for (const key of keys) {
      const target = h("div", { class: "chart", "data-key": key });
      target.appendChild(h("div", { class: "chart-placeholder muted", text: key }));
      grid.appendChild(h("div", { class: "chart-card" }, target));
      observer.observe(target);
    }
    const controls = AL.charts.controls(state, () => {
      for (const target of grid.querySelectorAll(".chart")) if (loaded.has(target.dataset.key)) drawOne(target.dataset.key, target);
    });
    main.appendChild(AL.section("Metric histories", controls, grid));
  };

  function versionRows(versions) {
    return versions.map((v) => h("tr", {},
      h("td", { class: "mono", text: v.version }), h("td", { text: v.current_stage }),
      h("td", {}, v.aliases.map((a) => h("span", { class: "pill alias", text: "@" + a }))),
      h("td", {}, v.run_id ? h("a", { href: "/runs/" + AL.enc(v.run_id), text: v.run_id, class: "mono" }) : "-"),
      h("td", { class: "mono muted", text: v.source }), h("td", { text: AL.fmtTime(v.creation_timestamp) })));
  }

  AL.pages.models = async function (main) {
    AL.setTitle("Models");
    const data = await AL.api("/api/models");
    main.appendChild(h("h1", { text: "Registered models" }));
    if (!data.registry) { main.appendChild(h("p", { class: "muted", text: "This store has no model registry." })); return; }
    if (!data.models.length) { main.appendChild(h("p", { class: "muted", text: "No registered models: register one with autolog.register_model(\"runs:/<run_id>/model\", \"name\")." })); return; }
    main.appendChild(h("table", { class: "grid models" },
      h("thead", {}, h("tr", {}, ["Name", "Latest versions", "Aliases", "Updated"].map((t) => h("th", { text: t })))),
      h("tbody", {}, data.models.map((m) => h("tr", {},
        h("td", {}, h("a", { href: "/models/" + AL.enc(m.name), text: m.name, class: "model-link" })),
        h("td", { text: m.latest_versions.map((v) => "v" + v.version + " (" + v.current_stage + ")").join(", ") }),
        h("td", {}, Object.entries(m.aliases).map(([a, v]) => h("span", { class: "pill alias", text: "@" + a + " → v" + v }))),
        h("td", { text: AL.fmtTime(m.last_updated_timestamp) }))))));
  };

  AL.pages.model = async function (main, name) {
    const m = await AL.api("/api/models/" + AL.enc(name));
    AL.setTitle(m.name);
    main.appendChild(h("h1", {}, h("a", { href: "/models", text: "Models", class: "crumb" }), " / ", h("span", { text: m.name })));
    if (m.description) main.appendChild(h("p", { text: m.description }));
    main.appendChild(h("div", { class: "grid-2" }, AL.section("Aliases", AL.kvTable(m.aliases, { empty: "no aliases" })),
      AL.section("Tags", AL.kvTable(m.tags, { empty: "no tags" }))));
    main.appendChild(AL.section("Versions", h("table", { class: "grid versions" },
      h("thead", {}, h("tr", {}, ["Version", "Stage", "Aliases", "Run", "Source", "Created"].map((t) => h("th", { text: t })))),
      h("tbody", {}, versionRows(m.versions)))));
  };
})();
