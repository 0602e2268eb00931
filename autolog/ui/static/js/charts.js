/* autolog UI: charts (uPlot). Metric histories arrive decimated by the server (min/max
   envelope kept); here they are put on the chosen x-axis, smoothed, and drawn. */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;
  const C = (AL.charts = {});

  C.X_MODES = [["step", "Step"], ["wall", "Wall time"], ["relative", "Relative time (s)"]];

  /* TensorBoard's debiased exponential moving average; nulls stay gaps. */
  C.smooth = function (values, weight) {
    if (!weight) return values;
    let last = 0, n = 0;
    return values.map((v) => {
      if (v === null || !isFinite(v)) return v;
      last = last * weight + (1 - weight) * v;
      n += 1;
      return last / (1 - Math.pow(weight, n));
    });
  };

  function xOf(series, mode) {
    if (mode === "wall") return series.timestamp.map((t) => t / 1000);
    if (mode === "relative") {
      const t0 = series.timestamp.length ? series.timestamp[0] : 0;
      return series.timestamp.map((t) => (t - t0) / 1000);
    }
    return series.step;
  }

  /* Series with their own x values -> uPlot's aligned data (a union of the x values). */
  function align(lines) {
    if (lines.length === 1) {
      const idx = lines[0].x.map((_, i) => i).sort((a, b) => lines[0].x[a] - lines[0].x[b]);
      return [idx.map((i) => lines[0].x[i]), idx.map((i) => lines[0].y[i])];
    }
    const xs = Array.from(new Set(lines.flatMap((l) => l.x))).sort((a, b) => a - b);
    const pos = new Map(xs.map((x, i) => [x, i]));
    return [xs, ...lines.map((l) => {
      const ys = new Array(xs.length).fill(null);
      l.x.forEach((x, i) => { ys[pos.get(x)] = l.y[i]; });
      return ys;
    })];
  }

  function width(target) {
    return Math.max(280, Math.floor((target.clientWidth || target.parentNode.clientWidth || 600) - 4));
  }

  /* A line chart of metric histories. opts: {title, mode, smoothing, series: [{label,
     color, step, timestamp, value, total}], height}. */
  C.lines = function (target, opts) {
    AL.clear(target);
    const mode = opts.mode || "step";
    const withRaw = opts.smoothing > 0 && opts.series.length === 1;
    const lines = [];
    const uSeries = [{ label: mode === "step" ? "step" : mode === "wall" ? "time" : "seconds" }];
    opts.series.forEach((s, i) => {
      const color = s.color || AL.color(i);
      const x = xOf(s, mode);
      if (withRaw) {
        lines.push({ x, y: s.value });
        uSeries.push({ label: s.label + " (raw)", stroke: color + "55", width: 1, spanGaps: true });
      }
      lines.push({ x, y: C.smooth(s.value, opts.smoothing) });
      uSeries.push({ label: s.label, stroke: color, width: 1.5, spanGaps: true,
        points: { show: s.value.length <= 60 } });
    });
    const data = align(lines);
    const first = opts.series[0] || { value: [], total: 0 };
    target.dataset.points = String(first.value.length);
    target.dataset.total = String(first.total === undefined ? first.value.length : first.total);
    const plot = new uPlot({
      title: opts.title, width: width(target), height: opts.height || 240,
      scales: { x: { time: mode === "wall" } },
      series: uSeries,
      axes: [{ label: opts.xLabel || null }, { size: 60 }],
      legend: { show: opts.series.length <= 12 },
    }, data, target);
    target.uplot = plot;
    return plot;
  };

  /* A scatter chart: points [{x, y, label}], x numeric or categories (strings). */
  C.scatter = function (target, opts) {
    AL.clear(target);
    let pts = opts.points.filter((p) => p.y !== null && p.y !== undefined && isFinite(p.y));
    const numeric = pts.every((p) => p.x !== "" && isFinite(Number(p.x)));
    const cats = numeric ? null : Array.from(new Set(pts.map((p) => String(p.x)))).sort();
    pts = pts.map((p) => ({ x: numeric ? Number(p.x) : cats.indexOf(String(p.x)), y: p.y, label: p.label }))
      .sort((a, b) => a.x - b.x);
    target.dataset.points = String(pts.length);
    const plot = new uPlot({
      title: opts.title, width: width(target), height: opts.height || 300,
      scales: { x: { time: false, range: (u, lo, hi) => [lo - (hi - lo || 1) * 0.05, hi + (hi - lo || 1) * 0.05] } },
      series: [{ label: opts.xLabel }, { label: opts.yLabel, stroke: AL.color(0), fill: AL.color(0),
        paths: () => null, points: { show: true, size: 9, fill: AL.color(0) } }],
      axes: [{ label: opts.xLabel, values: cats ? (u, splits) => splits.map((v) =>
        Number.isInteger(v) && cats[v] !== undefined ? cats[v] : "") : undefined },
      { label: opts.yLabel, size: 60 }],
    }, [pts.map((p) => p.x), pts.map((p) => p.y)], target);
    target.uplot = plot;
    return plot;
  };

  /* Curves of the plot JSON artifacts (autolog/plots.py): ROC and precision-recall. */
  C.curve = function (target, plot) {
    const d = plot.data;
    let x, y, title, xl, yl, extra = null;
    if (plot.type === "roc_curve") {
      x = d.fpr; y = d.tpr; xl = "false positive rate"; yl = "true positive rate";
      title = "ROC curve (AUC " + AL.fmtValue(d.auc) + ", positive label " + d.pos_label + ")";
      extra = x.map((v) => v);
    } else {
      x = d.recall.slice().reverse(); y = d.precision.slice().reverse();
      xl = "recall"; yl = "precision";
      title = "Precision-recall (AP " + AL.fmtValue(d.average_precision) + ", positive label " + d.pos_label + ")";
    }
    target.dataset.points = String(x.length);
    const series = [{ label: xl }, { label: yl, stroke: AL.color(0), width: 2 }];
    const data = [x, y];
    if (extra) { series.push({ label: "chance", stroke: "#9ca3af", dash: [4, 4], width: 1 }); data.push(extra); }
    target.uplot = new uPlot({
      title, width: Math.min(520, width(target)), height: 360,
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1.02] } },
      series, axes: [{ label: xl }, { label: yl, size: 50 }],
    }, data, target);
  };

  C.confusionMatrix = function (plot) {
    const d = plot.data;
    const max = Math.max(1, ...d.matrix.flat());
    const table = h("table", { class: "confusion" },
      h("thead", {}, h("tr", {}, h("th", { class: "corner", text: "true \\ predicted" }),
        d.labels.map((l) => h("th", { text: l })))),
      h("tbody", {}, d.matrix.map((row, i) => h("tr", {}, h("th", { text: d.labels[i] }),
        row.map((v) => {
          const cell = h("td", { text: AL.fmtValue(v), title: "true " + d.labels[i] + ", count " + v });
          const a = v / max;
          cell.style.backgroundColor = "rgba(37, 99, 235, " + a.toFixed(3) + ")";
          if (a > 0.55) cell.style.color = "#fff";
          return cell;
        })))));
    return h("div", { class: "plot confusion-wrap" }, h("h3", { text: "Confusion matrix (" + plot.path + ")" }), table);
  };

  C.importance = function (plot) {
    const entries = Object.entries(plot.data).map(([k, v]) =>
      [k, Array.isArray(v) ? v.reduce((a, b) => a + Math.abs(b), 0) : Number(v)])
      .filter(([, v]) => isFinite(v)).sort((a, b) => b[1] - a[1]).slice(0, 40);
    const max = Math.max(1e-12, ...entries.map(([, v]) => Math.abs(v)));
    return h("div", { class: "plot importance" }, h("h3", { text: plot.path }),
      entries.map(([k, v]) => {
        const bar = h("div", { class: "bar" });
        bar.style.width = (100 * Math.abs(v) / max).toFixed(1) + "%";
        return h("div", { class: "bar-row" }, h("span", { class: "bar-label", text: k, title: k }),
          h("span", { class: "bar-track" }, bar), h("span", { class: "bar-value", text: AL.fmtValue(v) }));
      }));
  };

  /* One value per run as horizontal bars (a metric logged once per run). */
  C.bars = function (target, opts) {
    AL.clear(target);
    const values = opts.items.map((it) => it.value).filter((v) => v !== null && isFinite(v));
    const lo = Math.min(0, ...values), hi = Math.max(0, ...values);
    const span = hi - lo || 1;
    target.dataset.points = String(values.length);
    target.appendChild(h("h3", { class: "bars-title", text: opts.title }));
    for (const it of opts.items) {
      const bar = h("div", { class: "bar" });
      const ok = it.value !== null && isFinite(it.value);
      bar.style.width = ok ? (100 * Math.abs(it.value) / span).toFixed(1) + "%" : "0";
      bar.style.backgroundColor = it.color;
      target.appendChild(h("div", { class: "bar-row" }, h("span", { class: "bar-label", text: it.label, title: it.label }),
        h("span", { class: "bar-track" }, bar), h("span", { class: "bar-value", text: ok ? AL.fmtValue(it.value) : "—" })));
    }
  };

  /* One plot artifact as an element (curves drawn once the element is in the page). */
  C.plot = function (plot) {
    if (plot.type === "confusion_matrix" && Array.isArray(plot.data.matrix)) return C.confusionMatrix(plot);
    if (plot.type === "feature_importance") return C.importance(plot);
    if (plot.type === "roc_curve" || plot.type === "precision_recall_curve") {
      const holder = h("div", { class: "plot curve", "data-plot": plot.type });
      window.requestAnimationFrame(() => C.curve(holder, plot));
      return holder;
    }
    return h("div", { class: "plot" }, h("h3", { text: plot.path }), h("pre", { text: JSON.stringify(plot.data, null, 1) }));
  };

  /* The x-axis and smoothing controls; onChange({mode, smoothing}). */
  C.controls = function (state, onChange) {
    const select = h("select", { "aria-label": "x-axis", class: "x-mode" },
      C.X_MODES.map(([v, l]) => h("option", { value: v, text: l })));
    select.value = state.mode;
    const slider = h("input", { type: "range", min: "0", max: "0.99", step: "0.01", class: "smoothing",
      "aria-label": "smoothing" });
    slider.value = String(state.smoothing);
    const shown = h("span", { class: "smoothing-value", text: state.smoothing.toFixed(2) });
    select.addEventListener("change", () => { state.mode = select.value; onChange(state); });
    slider.addEventListener("input", () => {
      state.smoothing = Number(slider.value); shown.textContent = state.smoothing.toFixed(2); onChange(state);
    });
    return h("div", { class: "chart-controls" }, h("label", {}, "x-axis ", select),
      h("label", {}, "smoothing ", slider, shown));
  };
})();
