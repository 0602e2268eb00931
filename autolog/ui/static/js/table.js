/* autolog UI: a virtualized table. Only the rows in view (plus a margin) exist in the page;
   rows are fetched from the server a page at a time as the user scrolls. */
"use strict";
(function () {
  const AL = window.AL;
  const h = AL.h;
  const PAGE = 200;

  /* columns: [{key, label, width, sortKey?, cell(row) -> Node|string}];
     fetchPage(offset, limit) -> {total, rows}; onSort(sortKey); sort: {key, asc}. */
  AL.VirtualTable = class {
    constructor(opts) {
      this.opts = opts;
      this.rowHeight = opts.rowHeight || 30;
      this.pages = new Map();
      this.loading = new Map();
      this.total = 0;
      this.generation = 0;
      this.header = h("div", { class: "vt-header vt-row", role: "row" });
      this.spacer = h("div", { class: "vt-spacer" });
      this.body = h("div", { class: "vt-body" }, this.spacer);
      this.scroller = h("div", { class: "vt-scroll", role: "table" }, this.header, this.body);
      this.el = h("div", { class: "vt" }, this.scroller,
        h("div", { class: "vt-footer" }, this.count = h("span", { class: "vt-count" })));
      this.scroller.addEventListener("scroll", () => this.render());
      window.addEventListener("resize", () => this.render());
      this.setColumns(opts.columns);
    }

    setColumns(columns) {
      this.columns = columns;
      this.template = columns.map((c) => (c.width || 120) + "px").join(" ");
      AL.clear(this.header);
      this.header.style.gridTemplateColumns = this.template;
      for (const c of columns) {
        const sorted = this.opts.sort && c.sortKey && this.opts.sort.key === c.sortKey;
        const cell = h("div", { class: "vt-cell vt-head" + (c.sortKey ? " sortable" : "") + (sorted ? " sorted" : ""),
          role: "columnheader", title: c.title || c.label, "data-col": c.key });
        if (c.headCell) cell.appendChild(c.headCell());
        else cell.appendChild(document.createTextNode(c.label));
        if (sorted) cell.appendChild(h("span", { class: "arrow", text: this.opts.sort.asc ? " ▲" : " ▼" }));
        if (c.sortKey) cell.addEventListener("click", () => this.opts.onSort(c.sortKey));
        this.header.appendChild(cell);
      }
      const w = columns.reduce((a, c) => a + (c.width || 120), 0);
      this.header.style.width = w + "px";
      this.body.style.width = w + "px";
      this.render();
    }

    /* Forget every row and start again from the top (new filter, sort or columns). */
    reset(keepScroll) {
      this.generation += 1;
      this.pages.clear();
      this.loading.clear();
      if (!keepScroll) this.scroller.scrollTop = 0;
      return this.load(0);
    }

    /* Re-fetch the pages in view (live refresh), keeping the rest. */
    async refreshVisible() {
      const [first, last] = this.range();
      const wanted = new Set();
      for (let i = Math.floor(first / PAGE); i <= Math.floor(Math.max(first, last - 1) / PAGE); i++) wanted.add(i);
      await Promise.all(Array.from(wanted, (p) => this.load(p, true)));
    }

    async load(page, force) {
      if (page === 0 && !this.pages.size) this.failed = false;
      if (!force && (this.pages.has(page) || this.loading.has(page))) return this.loading.get(page);
      const generation = this.generation;
      const promise = this.opts.fetchPage(page * PAGE, PAGE).then((result) => {
        if (generation !== this.generation) return;
        this.total = result.total;
        this.pages.set(page, result.rows);
        this.loading.delete(page);
        this.render();
      }, (err) => {
        this.loading.delete(page);
        if (generation !== this.generation) return;
        this.total = 0;  // nothing to show, and nothing to re-fetch while scrolling
        this.failed = true;
        this.render();
        throw err;
      });
      this.loading.set(page, promise);
      return promise;
    }

    range() {
      const top = this.scroller.scrollTop;
      const height = this.scroller.clientHeight || 600;
      const first = Math.max(0, Math.floor(top / this.rowHeight) - 10);
      const last = Math.min(this.total, Math.ceil((top + height) / this.rowHeight) + 10);
      return [first, last];
    }

    row(i) {
      const page = this.pages.get(Math.floor(i / PAGE));
      return page ? page[i % PAGE] : undefined;
    }

    visibleRows() {
      const [first, last] = this.range();
      const rows = [];
      for (let i = first; i < last; i++) { const r = this.row(i); if (r) rows.push(r); }
      return rows;
    }

    render() {
      this.spacer.style.height = (this.total * this.rowHeight) + "px";
      this.count.textContent = this.total === 1 ? "1 run" : this.total + " runs";
      const empty = this.total === 0 && !this.loading.size;
      if (empty && !this.emptyEl) {
        this.emptyEl = h("div", { class: "vt-empty muted" });
        this.body.appendChild(this.emptyEl);
      }
      if (this.emptyEl) {
        this.emptyEl.hidden = !empty;
        this.emptyEl.textContent = this.failed ? "No runs: the filter has an error (above)." : "No runs match.";
      }
      const [first, last] = this.range();
      for (const el of Array.from(this.body.querySelectorAll(".vt-data"))) el.remove();
      const frag = document.createDocumentFragment();
      for (let i = first; i < last; i++) {
        const r = this.row(i);
        if (r === undefined) { this.load(Math.floor(i / PAGE)).catch(() => {}); }
        const rowEl = h("div", { class: "vt-row vt-data" + (r && this.opts.rowClass ? " " + this.opts.rowClass(r) : ""),
          role: "row", "data-index": String(i) });
        rowEl.style.gridTemplateColumns = this.template;
        rowEl.style.transform = "translateY(" + (i * this.rowHeight) + "px)";
        rowEl.style.height = this.rowHeight + "px";
        for (const c of this.columns) {
          const cell = h("div", { class: "vt-cell", role: "cell", "data-col": c.key });
          if (r) {
            const content = c.cell(r);
            if (content instanceof Node) cell.appendChild(content);
            else { cell.textContent = content === undefined || content === null ? "" : String(content); cell.title = cell.textContent; }
          } else cell.textContent = "…";
          rowEl.appendChild(cell);
        }
        frag.appendChild(rowEl);
      }
      this.body.appendChild(frag);
    }
  };
})();
