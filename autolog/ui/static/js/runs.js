/* autolog UI: the experiments page (/) and the runs of an experiment (/experiments/<id>). */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;
  const LIVE_MS = 3000;

  AL.pages.experiments = async function (main) {
    AL.setTitle("Experiments");
    const data = await AL.api("/api/experiments");
    const rows = data.experiments.map((e) => h("tr", {},
      h("td", {}, h("a", { href: "/experiments/" + AL.enc(e.experiment_id), text: e.name, class: "exp-link" })),
      h("td", { class: "mono", text: e.experiment_id }),
      h("td", { text: AL.fmtTime(e.creation_time) }),
      h("td", { class: "mono muted", text: e.artifact_location })));
    main.appendChild(h("h1", { text: "Experiments" }));
    main.appendChild(data.experiments.length ? h("table", { class: "grid experiments" },
      h("thead", {}, h("tr", {}, ["Name", "ID", "Created", "Artifact location"].map((t) => h("th", { text: t })))),
      h("tbody", {}, rows)) : h("p", { class: "muted", text: "No experiments yet: run a script with autolog.autolog() first." }));
  };

  /* A column key (params.x, metrics.x, tags.x) as the filter grammar writes it. */
  function sortKeyOf(column) {
    const dot = column.indexOf(".");
    return column.slice(0, dot) + ".`" + column.slice(dot + 1) + "`";
  }

  /* A filter example made of the experiment's own keys. */
  function example(keys) {
    const m = (keys.common_metrics || [])[0], p = (keys.common_params || [])[0];
    const parts = [m ? "metrics." + m + " > 0.5" : null, p ? "params." + p + " = 'value'" : null].filter(Boolean);
    return "filter: " + (parts.join(" and ") || "attributes.status = 'FINISHED'") + "   (Enter to search)";
  }

  function defaultColumns(keys) {
    const metrics = (keys.common_metrics || []).slice(0, 4).map((k) => "metrics." + k);
    return [...metrics, ...(keys.common_params || []).slice(0, 2).map((k) => "params." + k)];
  }

  /* The column chooser: a searchable list of every param, metric and tag key. */
  function columnChooser(keys, chosen, onChange) {
    const list = h("div", { class: "chooser-list" });
    const search = h("input", { type: "search", placeholder: "find a key", class: "chooser-search", "aria-label": "find a column" });
    const draw = () => {
      AL.clear(list);
      const needle = search.value.toLowerCase();
      let shown = 0;
      for (const kind of ["metrics", "params", "tags"]) {
        const items = keys[kind].filter((k) => k.toLowerCase().includes(needle));
        if (!items.length) continue;
        list.appendChild(h("div", { class: "chooser-kind", text: kind }));
        for (const k of items.slice(0, 300)) {
          const col = kind + "." + k;
          const box = h("input", { type: "checkbox", "data-column": col });
          box.checked = chosen.includes(col);
          box.addEventListener("change", () => {
            const next = box.checked ? [...chosen, col] : chosen.filter((c) => c !== col);
            chosen.length = 0; chosen.push(...next); onChange();
          });
          list.appendChild(h("label", { class: "chooser-item" }, box, " " + k));
          shown += 1;
        }
      }
      if (!shown) list.appendChild(h("div", { class: "muted", text: "no key matches" }));
    };
    search.addEventListener("input", draw);
    draw();
    return h("details", { class: "chooser" }, h("summary", { text: "Columns" }), search, list);
  }

  AL.pages.runs = async function (main, experimentId) {
    const q = AL.query();
    const info = await AL.api("/api/experiments/" + AL.enc(experimentId));
    AL.setTitle(info.experiment.name);
    const state = {
      filter: q.get("filter") || "",
      order: q.get("order") || "",
      columns: q.has("columns") ? q.get("columns").split(",").filter(Boolean) : defaultColumns(info.keys),
      expanded: new Set((q.get("expanded") || "").split(",").filter(Boolean)),
      selected: new Set(),
    };
    const saveUrl = () => AL.replaceQuery({ filter: state.filter, order: state.order,
      columns: state.columns.join(","), expanded: Array.from(state.expanded).join(",") });

    const filterBox = h("input", { type: "search", class: "filter", value: state.filter, "aria-label": "filter",
      placeholder: example(info.keys) });
    const filterError = h("div", { class: "filter-error", role: "alert" });
    const compareButton = h("button", { class: "compare-button", disabled: true, text: "Compare" });
    const selectedCount = h("span", { class: "muted selected-count" });
    const updateSelection = () => {
      compareButton.disabled = state.selected.size < 2;
      selectedCount.textContent = state.selected.size ? state.selected.size + " selected" : "";
    };
    compareButton.addEventListener("click", () => {
      window.location.href = AL.url("/compare", { runs: Array.from(state.selected).join(",") });
    });

    const parseOrder = () => {
      const m = /^(.*) (ASC|DESC)$/.exec(state.order);
      return m ? { key: m[1], asc: m[2] === "ASC" } : { key: state.order, asc: false };
    };
    const fetchPage = (offset, limit) => AL.api("/api/experiments/" + AL.enc(experimentId) + "/runs", {
      filter: state.filter, order_by: state.order || undefined, offset, limit,
      columns: state.columns, expanded: Array.from(state.expanded).join(","),
    });

    const nameCell = (r) => {
      const wrap = h("span", { class: "name-cell" });
      wrap.style.paddingLeft = (r.depth * 18) + "px";
      if (r.children) {
        const open = state.expanded.has(r.run_id);
        wrap.appendChild(h("button", { class: "expander", title: r.children + " child runs", "aria-expanded": String(open),
          text: (open ? "▾ " : "▸ ") + r.children, onclick: () => {
            if (open) state.expanded.delete(r.run_id); else state.expanded.add(r.run_id);
            saveUrl(); table.reset(true).catch(showError);
          } }));
      }
      wrap.appendChild(h("a", { href: "/runs/" + AL.enc(r.run_id), text: r.run_name || r.run_id, class: "run-link", title: r.run_name }));
      return wrap;
    };
    const selectCell = (r) => {
      const box = h("input", { type: "checkbox", class: "select-run", "aria-label": "select " + (r.run_name || r.run_id) });
      box.checked = state.selected.has(r.run_id);
      box.addEventListener("change", () => {
        if (box.checked) state.selected.add(r.run_id); else state.selected.delete(r.run_id);
        updateSelection();
      });
      return box;
    };
    const columns = () => [
      { key: "select", label: "", width: 36, cell: selectCell },
      { key: "name", label: "Run", width: 260, sortKey: "attributes.run_name", cell: nameCell },
      { key: "status", label: "Status", width: 96, sortKey: "attributes.status", cell: (r) => AL.statusBadge(r.status) },
      { key: "start", label: "Started", width: 170, sortKey: "attributes.start_time", cell: (r) => AL.fmtTime(r.start_time) },
      { key: "duration", label: "Duration", width: 90, cell: (r) => AL.fmtDuration(r.start_time, r.end_time) },
      ...state.columns.map((c) => ({ key: c, label: c.slice(c.indexOf(".") + 1), title: c,
        width: Math.min(240, Math.max(110, 26 + 7.5 * (c.length - c.indexOf(".") - 1))),
        sortKey: sortKeyOf(c), cell: (r) => AL.fmtValue(r.values[c]) })),
    ];
    const showError = (err) => {
      filterError.textContent = err.message;
      filterBox.classList.add("invalid");
    };
    const table = new AL.VirtualTable({
      columns: columns(), fetchPage, sort: parseOrder(),
      rowClass: (r) => "status-row-" + String(r.status).toLowerCase() + (r.depth ? " child" : ""),
      onSort: (key) => {
        const current = parseOrder();
        const asc = current.key === key ? !current.asc : key === "attributes.run_name";
        state.order = key + (asc ? " ASC" : " DESC");
        table.opts.sort = parseOrder();
        table.setColumns(columns());
        saveUrl(); table.reset().catch(showError);
      },
    });
    const apply = () => {
      state.filter = filterBox.value.trim();
      filterError.textContent = "";
      filterBox.classList.remove("invalid");
      saveUrl(); table.reset().catch(showError);
    };
    filterBox.addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
    const chooser = columnChooser(info.keys, state.columns, () => { table.setColumns(columns()); saveUrl(); table.reset(true).catch(showError); });

    main.appendChild(h("div", { class: "page-head" },
      h("h1", {}, h("a", { href: "/", text: "Experiments", class: "crumb" }), " / ", h("span", { text: info.experiment.name })),
      h("span", { class: "muted", text: "experiment " + info.experiment.experiment_id })));
    main.appendChild(h("div", { class: "toolbar" }, filterBox,
      h("button", { text: "Search", onclick: apply, class: "search-button" }), chooser, selectedCount, compareButton));
    main.appendChild(filterError);
    main.appendChild(table.el);
    await table.reset().catch(showError);
    AL.poll(() => (table.visibleRows().some((r) => r.status === "RUNNING") ? table.refreshVisible() : null),
      LIVE_MS, () => document.body.contains(table.el));
  };
})();
