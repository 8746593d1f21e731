// rdsql ui: the result grid. Virtual scrolling (only the rows in view are
// in the DOM, so 100,000 rows scroll as smoothly as 10), column types in
// the header, resize, sort and filter of the loaded rows, cell selection
// and copy as TSV / CSV / JSON / SQL INSERT. Design: docs/ui.md.
(() => {
"use strict";

const ROW_H = 24;
const NUMERIC = /^(int|integer|smallint|bigint|tinyint|mediumint|int2|int4|int8|numeric|decimal|real|double|double precision|float|float4|float8|money|oid|year|serial|bigserial)( unsigned)?$/;

function isNumericType(t) { return !!t && NUMERIC.test(t.replace(/\(.*\)/, "").trim().toLowerCase()); }
function looksNumeric(s) { return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s); }

/// Text of one value for the copy formats.
const Copy = {
  tsv(cols, rows) {
    const esc = (v) => v === null ? "\\N" : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
    return [cols.map(esc).join("\t"), ...rows.map((r) => r.map(esc).join("\t"))].join("\n") + "\n";
  },
  csv(cols, rows) {
    const q = (v) => v === null ? "" : (/[",\r\n]/.test(v) || v === "\\." ? `"${v.replace(/"/g, '""')}"` : v);
    return [cols.map(q).join(","), ...rows.map((r) => r.map(q).join(","))].join("\n") + "\n";
  },
  json(cols, rows) {
    return JSON.stringify(rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]]))), null, 2) + "\n";
  },
  insert(cols, rows, table, engine) {
    const id = (s) => engine === "mysql" || engine === "mariadb" ? "`" + s.replace(/`/g, "``") + "`" : '"' + s.replace(/"/g, '""') + '"';
    const name = table || "table_name";
    const lit = (v, t) => v === null ? "NULL" : (isNumericType(t) && looksNumeric(v) ? v : sqlString(v, engine));
    return rows.map((r) => `INSERT INTO ${name} (${cols.map(id).join(", ")}) VALUES (${r.map((v, i) => lit(v, this.types && this.types[i])).join(", ")});`).join("\n") + "\n";
  },
};

/// A string literal: quotes doubled; MySQL also treats backslash as an
/// escape, so it is doubled there.
function sqlString(v, engine) {
  let s = v.replace(/'/g, "''");
  if (engine === "mysql" || engine === "mariadb") s = s.replace(/\\/g, "\\\\");
  return `'${s}'`;
}

class Grid {
  /// `rs`: { columns, types, rows } — rows grow while the result streams.
  constructor(container, rs, opts = {}) {
    this.rs = rs;
    this.opts = opts;
    this.el = document.createElement("div");
    this.el.className = "grid";
    this.el.tabIndex = 0;
    this.el.setAttribute("role", "grid");
    this.el.setAttribute("aria-rowcount", "0");
    this.head = document.createElement("div");
    this.head.className = "grid-head";
    this.spacer = document.createElement("div");
    this.spacer.className = "grid-spacer";
    this.body = document.createElement("div");
    this.body.className = "grid-rows";
    this.spacer.appendChild(this.body);
    this.el.append(this.head, this.spacer);
    container.appendChild(this.el);
    this.widths = [];
    this.sort = null; // { col, dir }
    this.filter = "";
    this.view = null; // indices into rs.rows when sorted or filtered
    this.sel = null; // { r0, c0, r1, c1 } in view coordinates
    this.edits = opts.edits || null;
    this.el.addEventListener("scroll", () => this.schedule());
    this.el.addEventListener("keydown", (e) => this.key(e));
    this.body.addEventListener("mousedown", (e) => this.down(e));
    this.body.addEventListener("dblclick", (e) => this.dbl(e));
    this.buildHead();
    this.autosize();
    this.schedule();
  }

  buildHead() {
    const rs = this.rs;
    this.head.textContent = "";
    const corner = document.createElement("div");
    corner.className = "cell rownum";
    this.head.appendChild(corner);
    rs.columns.forEach((c, i) => {
      if (this.widths[i] === undefined) this.widths[i] = Math.min(320, Math.max(80, c.length * 9 + 40));
      const h = document.createElement("div");
      h.className = "cell th";
      h.style.width = `${this.widths[i]}px`;
      h.dataset.col = i;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = c;
      const type = document.createElement("span");
      type.className = "type";
      type.textContent = (rs.types && rs.types[i]) || "";
      const arrow = document.createElement("span");
      arrow.className = "sort";
      arrow.textContent = this.sort && this.sort.col === i ? (this.sort.dir > 0 ? "▲" : "▼") : "";
      const grip = document.createElement("span");
      grip.className = "grip";
      grip.title = "Drag to resize";
      grip.addEventListener("mousedown", (e) => this.resize(e, i));
      h.title = `${c}${type.textContent ? ` (${type.textContent})` : ""} — click to sort`;
      h.append(name, type, arrow, grip);
      h.addEventListener("click", (e) => { if (!e.target.classList.contains("grip")) this.toggleSort(i); });
      this.head.appendChild(h);
    });
    this.numeric = rs.columns.map((_, i) => isNumericType(rs.types && rs.types[i]));
  }

  /// Column widths from the header and the first rows, once there are some.
  autosize() {
    const rows = this.rs.rows;
    if (this.sized || !rows.length) return;
    this.sized = true;
    const sample = rows.slice(0, 200);
    this.widths = this.rs.columns.map((c, i) => {
      let len = Math.max(c.length, ((this.rs.types && this.rs.types[i]) || "").length);
      for (const r of sample) if (r[i] !== null) len = Math.max(len, Math.min(r[i].length, 60));
      return Math.round(Math.min(480, Math.max(64, len * 8 + 22)));
    });
    this.buildHead();
  }

  /// New rows or types arrived.
  update() {
    this.autosize();
    if (this.rs.types && this.headTypes !== this.rs.types) { this.headTypes = this.rs.types; this.buildHead(); }
    if (this.sort || this.filter) this.recompute();
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = 0; this.render(); });
  }

  count() { return this.view ? this.view.length : this.rs.rows.length; }
  rowAt(i) { return this.rs.rows[this.view ? this.view[i] : i]; }
  indexAt(i) { return this.view ? this.view[i] : i; }

  render() {
    // An open cell editor is not torn down under the user's hands; the
    // grid redraws when it closes.
    if (this.editing) return;
    const n = this.count();
    this.el.setAttribute("aria-rowcount", String(n));
    this.spacer.style.height = `${n * ROW_H}px`;
    const total = this.widths.reduce((a, b) => a + b, 0) + 64;
    this.spacer.style.width = `${total}px`;
    this.head.style.width = `${total}px`;
    const top = this.el.scrollTop;
    const height = this.el.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_H) - 10);
    const last = Math.min(n, Math.ceil((top + height) / ROW_H) + 10);
    this.body.style.transform = `translateY(${first * ROW_H}px)`;
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) frag.appendChild(this.renderRow(i));
    this.body.textContent = "";
    this.body.appendChild(frag);
    this.first = first;
    if (this.opts.onScroll) this.opts.onScroll(last, n);
  }

  renderRow(i) {
    const row = this.rowAt(i);
    const idx = this.indexAt(i);
    const tr = document.createElement("div");
    tr.className = "grow";
    tr.dataset.row = i;
    const num = document.createElement("div");
    num.className = "cell rownum";
    num.textContent = String(i + 1);
    tr.appendChild(num);
    const ed = this.edits;
    if (ed && ed.deleted.has(idx)) tr.classList.add("deleted");
    if (ed && idx >= ed.firstNew) tr.classList.add("added");
    for (let c = 0; c < this.rs.columns.length; c++) {
      const td = document.createElement("div");
      td.className = "cell";
      td.style.width = `${this.widths[c]}px`;
      td.dataset.col = c;
      const key = `${idx}:${c}`;
      const v = ed && ed.cells.has(key) ? ed.cells.get(key) : row[c];
      if (ed && idx >= ed.firstNew && !ed.cells.has(key)) { td.textContent = "DEFAULT"; td.classList.add("null"); } else if (v === null) { td.textContent = "NULL"; td.classList.add("null"); } else {
        td.textContent = v.length > 500 ? v.slice(0, 500) + "…" : v;
        // By type; by value where the type is unknown (SQLite expressions).
        if (this.numeric[c] || (!(this.rs.types && this.rs.types[c]) && looksNumeric(v))) td.classList.add("num");
      }
      if (ed && ed.cells.has(key)) td.classList.add("edited");
      if (this.inSel(i, c)) td.classList.add("selected");
      tr.appendChild(td);
    }
    return tr;
  }

  /// Marks the selected cells in place (re-rendering would replace the
  /// cell under the pointer between the two clicks of a double-click).
  paintSelection() {
    for (const tr of this.body.children) {
      const r = Number(tr.dataset.row);
      for (const td of tr.children) {
        if (td.dataset.col === undefined) continue;
        td.classList.toggle("selected", this.inSel(r, Number(td.dataset.col)));
      }
    }
  }

  inSel(r, c) {
    const s = this.sel;
    if (!s) return false;
    return r >= Math.min(s.r0, s.r1) && r <= Math.max(s.r0, s.r1) && c >= Math.min(s.c0, s.c1) && c <= Math.max(s.c0, s.c1);
  }

  cellOf(e) {
    const td = e.target.closest(".cell");
    const tr = e.target.closest(".grow");
    if (!td || !tr) return null;
    const r = Number(tr.dataset.row);
    if (td.classList.contains("rownum")) return { r, c: -1 };
    return { r, c: Number(td.dataset.col) };
  }

  down(e) {
    const at = this.cellOf(e);
    if (!at) return;
    const last = this.rs.columns.length - 1;
    if (at.c === -1) {
      this.sel = e.shiftKey && this.sel ? { ...this.sel, r1: at.r, c0: 0, c1: last } : { r0: at.r, c0: 0, r1: at.r, c1: last };
    } else if (e.shiftKey && this.sel) {
      this.sel = { ...this.sel, r1: at.r, c1: at.c };
    } else {
      this.sel = { r0: at.r, c0: at.c, r1: at.r, c1: at.c };
    }
    this.el.focus();
    this.paintSelection();
    if (this.opts.onSelect) this.opts.onSelect();
  }

  dbl(e) {
    const at = this.cellOf(e);
    if (at && at.c >= 0 && this.opts.onEdit) this.opts.onEdit(this.indexAt(at.r), at.c, e.target.closest(".cell"));
  }

  key(e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "c" && this.sel) {
      e.preventDefault();
      this.copy("tsv");
    } else if ((e.ctrlKey || e.metaKey) && e.key === "a") {
      e.preventDefault();
      this.sel = { r0: 0, c0: 0, r1: this.count() - 1, c1: this.rs.columns.length - 1 };
      this.schedule();
    }
  }

  /// The selected rectangle (or everything loaded, when nothing is).
  selection() {
    const s = this.sel || { r0: 0, c0: 0, r1: this.count() - 1, c1: this.rs.columns.length - 1 };
    const r0 = Math.min(s.r0, s.r1), r1 = Math.max(s.r0, s.r1);
    const c0 = Math.min(s.c0, s.c1), c1 = Math.max(s.c0, s.c1);
    const cols = this.rs.columns.slice(c0, c1 + 1);
    const types = (this.rs.types || []).slice(c0, c1 + 1);
    const rows = [];
    for (let r = r0; r <= r1 && r < this.count(); r++) rows.push(this.rowAt(r).slice(c0, c1 + 1));
    return { cols, types, rows };
  }

  copyText(format) {
    const { cols, types, rows } = this.selection();
    if (format === "insert") return Copy.insert.call({ types }, cols, rows, this.opts.table, this.opts.engine);
    return Copy[format](cols, rows);
  }

  async copy(format) {
    const text = this.copyText(format);
    try { await navigator.clipboard.writeText(text); if (this.opts.onCopied) this.opts.onCopied(format, text); } catch (err) {
      if (this.opts.onCopied) this.opts.onCopied(format, text, err);
    }
  }

  toggleSort(col) {
    if (!this.sort || this.sort.col !== col) this.sort = { col, dir: 1 };
    else if (this.sort.dir === 1) this.sort.dir = -1;
    else this.sort = null;
    this.recompute();
    this.buildHead();
    this.schedule();
  }

  setFilter(text) {
    this.filter = text.toLowerCase();
    this.recompute();
    this.schedule();
  }

  recompute() {
    const rows = this.rs.rows;
    if (!this.sort && !this.filter) { this.view = null; return; }
    let idx = [];
    const f = this.filter;
    for (let i = 0; i < rows.length; i++) {
      if (!f || rows[i].some((v) => v !== null && v.toLowerCase().includes(f))) idx.push(i);
    }
    if (this.sort) {
      const { col, dir } = this.sort;
      const num = this.numeric[col];
      idx.sort((a, b) => {
        const x = rows[a][col], y = rows[b][col];
        if (x === null) return y === null ? 0 : 1;
        if (y === null) return -1;
        const d = num ? Number(x) - Number(y) : (x < y ? -1 : x > y ? 1 : 0);
        return d * dir || a - b;
      });
    }
    this.view = idx;
  }

  resize(e, col) {
    e.preventDefault();
    e.stopPropagation();
    const start = e.clientX, w0 = this.widths[col];
    const move = (ev) => {
      this.widths[col] = Math.max(40, w0 + ev.clientX - start);
      this.buildHead();
      this.schedule();
    };
    const up = () => { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  }

  scrollToEnd() { this.el.scrollTop = this.count() * ROW_H; this.render(); }
}

window.RdsqlGrid = { Grid, Copy, sqlString, isNumericType, ROW_H };
})();
