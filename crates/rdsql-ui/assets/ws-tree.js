// rdsql ui workspace: the schema tree, the table view and row editing.

import { langExt, selectTab } from "./ws-editor.js";
import { closeStream, execute, showTxn } from "./ws-run.js";
import { WS, el, ident, isMy, plural, sqlString } from "./ws-state.js";

// ---- schema tree -----------------------------------------------------------

export async function loadCatalog(conn) {
  $("tree-status").textContent = "Reading the catalog…";
  const r = await api("/api/catalog", { session: conn.id });
  if (!r.ok) { $("tree-status").textContent = `Catalog: ${(r.data.error && r.data.error.headline) || r.status}`; return; }
  conn.catalog = r.data;
  $("tree-status").textContent = "";
  if (WS.current === conn) {
    renderTree();
    if (WS.view && conn.active.kind === "sql") WS.view.dispatch({ effects: WS.lang.reconfigure(langExt(conn)) });
  }
}

export const KINDS = [["table", "Tables"], ["view", "Views"], ["materialized view", "Materialized views"], ["foreign table", "Foreign tables"]];

export function renderTree() {
  const conn = WS.current;
  const tree = $("tree");
  tree.textContent = "";
  if (!conn || !conn.catalog) return;
  WS.treeFilter = $("tree-filter").value;
  const f = WS.treeFilter.trim().toLowerCase();
  for (const s of conn.catalog.schemas) {
    const objects = s.objects.filter((o) => !f || o.name.toLowerCase().includes(f));
    const funcs = s.functions.filter((o) => !f || o.name.toLowerCase().includes(f));
    if (f && !objects.length && !funcs.length) continue;
    const d = el("details", "schema");
    d.open = !!f || s.name === conn.catalog.current || conn.catalog.schemas.length === 1;
    d.appendChild(el("summary", "", s.name));
    for (const [kind, title] of KINDS) {
      const list = objects.filter((o) => o.kind === kind);
      if (!list.length) continue;
      const g = el("details", "group");
      g.open = true;
      g.appendChild(el("summary", "", `${title} (${list.length})`));
      for (const o of list) g.appendChild(objectNode(conn, s, o));
      d.appendChild(g);
    }
    if (funcs.length) {
      const g = el("details", "group");
      g.appendChild(el("summary", "", `Functions (${funcs.length})`));
      for (const fn of funcs) g.appendChild(el("div", "leaf", `${fn.name}(${fn.arguments || ""})${fn.kind !== "function" ? ` · ${fn.kind}` : ""}`));
      d.appendChild(g);
    }
    tree.appendChild(d);
  }
}

export function objectNode(conn, schema, o) {
  const d = el("details", "object");
  const sum = el("summary");
  const name = el("button", "object-name", o.name);
  name.type = "button";
  name.title = `Open ${schema.name}.${o.name}`;
  name.addEventListener("click", (e) => { e.preventDefault(); openTable(conn, schema, o); });
  sum.appendChild(name);
  if (o.rows !== null && o.rows !== undefined) sum.appendChild(el("span", "muted est", `~${Math.round(o.rows).toLocaleString("en-US")}`));
  d.appendChild(sum);
  // Columns are built when opened: a catalog may hold thousands of tables.
  d.addEventListener("toggle", () => {
    if (!d.open || d.dataset.built) return;
    d.dataset.built = "1";
    for (const c of o.columns) {
      const row = el("div", "leaf column");
      row.append(el("span", "", c.name), el("span", "muted", ` ${c.type}${c.nullable ? "" : " not null"}`));
      if (c.pk) row.appendChild(el("span", "badge", "PK"));
      const fk = o.foreign_keys.find((k) => k.columns.split(", ").includes(c.name));
      if (fk) { const b = el("span", "badge", "FK"); b.title = `→ ${fk.references}`; row.appendChild(b); }
      if (c.default !== null && c.default !== undefined) row.title = `default ${c.default}`;
      d.appendChild(row);
    }
    if (o.indexes.length) {
      const ix = el("div", "leaf muted", `Indexes: ${o.indexes.map((i) => i.name).join(", ")}`);
      d.appendChild(ix);
    }
  });
  return d;
}

// ---- table view and row editing --------------------------------------------

export function openTable(conn, schema, o) {
  const qualified = conn.engine === "sqlite" ? ident(o.name, conn.engine) : `${ident(schema.name, conn.engine)}.${ident(o.name, conn.engine)}`;
  let tab = conn.tabs.find((t) => t.kind === "table" && t.table.qualified === qualified);
  if (!tab) {
    const pk = o.columns.filter((c) => c.pk).map((c) => c.name);
    tab = {
      kind: "table", title: o.name, run: null, view: "data",
      table: { schema: schema.name, name: o.name, object: o, qualified, pk },
      edits: { cells: new Map(), deleted: new Set(), firstNew: Infinity },
    };
    conn.tabs.push(tab);
  }
  selectTab(tab);
  if (!tab.run) loadTable(conn, tab);
}

export function loadTable(conn, tab) {
  tab.edits = { cells: new Map(), deleted: new Set(), firstNew: Infinity };
  // In primary-key order when there is one: rows keep their place after
  // an edit is applied and the table is read again.
  const order = tab.table.pk.length ? ` order by ${tab.table.pk.map((c) => ident(c, conn.engine)).join(", ")}` : "";
  execute(conn, tab, `select * from ${tab.table.qualified}${order}`, { cap: 100, step: 500 });
}

export function editReason(tab) {
  const t = tab.table;
  if (t.object.kind !== "table") return `Read-only: ${t.name} is a ${t.object.kind}.`;
  if (!t.pk.length) return `Read-only: ${t.name} has no primary key, so a row cannot be named safely.`;
  return "";
}

export function renderTableBar(tab) {
  const reason = editReason(tab);
  $("table-title").textContent = `${tab.table.schema}.${tab.table.name}`;
  $("edit-reason").textContent = reason || "Double-click a cell to edit it; changes are previewed as SQL before they run.";
  for (const id of ["add-row", "delete-rows", "review-edits", "discard-edits"]) $(id).disabled = !!reason;
  $("table-data").classList.toggle("active", tab.view === "data");
  $("table-structure").classList.toggle("active", tab.view === "structure");
  $("structure").hidden = tab.view !== "structure";
  $("results").hidden = tab.view === "structure";
  if (tab.view === "structure") renderStructure(tab);
}

/// The table's columns, indexes and foreign keys, as `\d` shows them.
export function renderStructure(tab) {
  const o = tab.table.object;
  const box = $("structure");
  box.textContent = "";
  const t = el("table", "structure");
  const head = el("tr");
  for (const h of ["Column", "Type", "Nullable", "Default", "Key"]) head.appendChild(el("th", "", h));
  t.appendChild(head);
  for (const c of o.columns) {
    const tr = el("tr");
    const fk = o.foreign_keys.find((k) => k.columns.split(", ").includes(c.name));
    for (const v of [c.name, c.type, c.nullable ? "" : "not null", c.default === null ? "" : c.default, [c.pk ? "PK" : "", fk ? `FK → ${fk.references}` : ""].filter(Boolean).join(", ")]) tr.appendChild(el("td", "", v));
    t.appendChild(tr);
  }
  box.appendChild(t);
  if (o.indexes.length) {
    box.appendChild(el("h3", "", "Indexes:"));
    for (const i of o.indexes) box.appendChild(el("div", "mono", `"${i.name}" ${i.definition}`));
  }
  if (o.foreign_keys.length) {
    box.appendChild(el("h3", "", "Foreign-key constraints:"));
    for (const k of o.foreign_keys) box.appendChild(el("div", "mono", `(${k.columns}) REFERENCES ${k.references}`));
  }
}

export function editCell(tab, rs, idx, col, cell) {
  if (editReason(tab) || tab.edits.deleted.has(idx)) return;
  const key = `${idx}:${col}`;
  const cur = tab.edits.cells.has(key) ? tab.edits.cells.get(key) : rs.rows[idx][col];
  const input = el("input", "cell-input");
  input.value = cur === null ? "" : cur;
  input.placeholder = cur === null ? "NULL" : "";
  input.setAttribute("aria-label", `Edit ${rs.columns[col]}`);
  cell.textContent = "";
  cell.appendChild(input);
  rs.grid.editing = true;
  input.focus();
  input.select();
  let done = false;
  const commit = (value) => {
    if (done) return;
    done = true;
    rs.grid.editing = false;
    const orig = idx >= tab.edits.firstNew ? undefined : rs.rows[idx][col];
    if (value === orig) tab.edits.cells.delete(key); else tab.edits.cells.set(key, value);
    rs.grid.schedule();
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); commit(input.value); }
    else if (e.key === "Escape") { done = true; rs.grid.editing = false; rs.grid.schedule(); }
    else if (e.key === "Delete" && e.ctrlKey) { e.preventDefault(); commit(null); }
  });
  input.addEventListener("blur", () => commit(input.value));
}

export function tableResult(tab) { return tab.run && tab.run.results[0]; }

export function addRow(tab) {
  const rs = tableResult(tab);
  if (!rs) return;
  if (tab.edits.firstNew === Infinity) tab.edits.firstNew = rs.rows.length;
  rs.rows.push(rs.columns.map(() => null));
  rs.grid.update();
  rs.grid.scrollToEnd();
}

export function deleteRows(tab) {
  const rs = tableResult(tab);
  if (!rs || !rs.grid.sel) return;
  const s = rs.grid.sel;
  for (let r = Math.min(s.r0, s.r1); r <= Math.max(s.r0, s.r1); r++) tab.edits.deleted.add(rs.grid.indexAt(r));
  rs.grid.schedule();
}

/// The statements that apply the pending edits, one per changed row.
export function editStatements(tab, engine) {
  const rs = tableResult(tab);
  const t = tab.table;
  const q = (s) => ident(s, engine);
  const lit = (v) => v === null ? "NULL" : sqlString(v, engine);
  const pkIdx = t.pk.map((name) => rs.columns.indexOf(name));
  const where = (row) => pkIdx.map((i) => `${q(rs.columns[i])} ${row[i] === null ? "IS NULL" : "= " + lit(row[i])}`).join(" AND ");
  const byRow = new Map();
  for (const [key, value] of tab.edits.cells) {
    const [r, c] = key.split(":").map(Number);
    if (!byRow.has(r)) byRow.set(r, []);
    byRow.get(r).push([c, value]);
  }
  const out = [];
  for (const [r, cells] of [...byRow].sort((a, b) => a[0] - b[0])) {
    if (tab.edits.deleted.has(r)) continue;
    if (r >= tab.edits.firstNew) continue;
    out.push({ sql: `UPDATE ${t.qualified} SET ${cells.map(([c, v]) => `${q(rs.columns[c])} = ${lit(v)}`).join(", ")} WHERE ${where(rs.rows[r])}`, one: true });
  }
  for (const r of [...tab.edits.deleted].sort((a, b) => a - b)) {
    if (r >= tab.edits.firstNew) continue;
    out.push({ sql: `DELETE FROM ${t.qualified} WHERE ${where(rs.rows[r])}`, one: true });
  }
  for (let r = tab.edits.firstNew; r < rs.rows.length; r++) {
    if (tab.edits.deleted.has(r)) continue;
    const cells = (byRow.get(r) || []).sort((a, b) => a[0] - b[0]);
    if (!cells.length) out.push({ sql: isMy(engine) ? `INSERT INTO ${t.qualified} () VALUES ()` : `INSERT INTO ${t.qualified} DEFAULT VALUES`, one: true });
    else out.push({ sql: `INSERT INTO ${t.qualified} (${cells.map(([c]) => q(rs.columns[c])).join(", ")}) VALUES (${cells.map(([, v]) => lit(v)).join(", ")})`, one: true });
  }
  return out;
}

export function reviewEdits(tab) {
  const conn = WS.current;
  const stmts = editStatements(tab, conn.engine);
  if (!stmts.length) { $("edit-reason").textContent = "Nothing to apply: no cell was changed."; return; }
  $("edit-sql").textContent = ["BEGIN;", ...stmts.map((s) => s.sql + ";"), "COMMIT;"].join("\n");
  $("edit-status").textContent = conn.txn !== "idle" ? "A transaction is open on this connection: commit or roll it back first." : "";
  $("edit-apply").disabled = conn.txn !== "idle";
  $("edit-dialog").showModal();
}

/// Runs statements to completion without a grid; resolves to what came back.
export async function quiet(conn, sql) {
  const holder = { kind: "quiet" };
  await execute(conn, holder, sql);
  return { error: holder.run.error, affected: holder.run.affected };
}

export async function applyEdits(tab) {
  const conn = WS.current;
  const stmts = editStatements(tab, conn.engine);
  $("edit-apply").disabled = true;
  $("edit-status").textContent = "Applying…";
  if (conn.stream) closeStream(conn);
  const begin = await quiet(conn, "begin");
  if (begin.error) return editFailed(conn, tab, begin.error.headline);
  const r = await quiet(conn, stmts.map((s) => s.sql).join(";\n"));
  const wrong = r.affected.findIndex((n) => n !== 1);
  if (r.error || wrong >= 0 || r.affected.length !== stmts.length) {
    await quiet(conn, "rollback");
    const why = r.error ? r.error.headline : wrong >= 0 ? `statement ${wrong + 1} changed ${r.affected[wrong]} rows instead of 1` : "not every statement ran";
    return editFailed(conn, tab, `${why} — rolled back, nothing changed`);
  }
  const c = await quiet(conn, "commit");
  if (c.error) return editFailed(conn, tab, c.error.headline);
  conn.txn = "idle";
  showTxn("idle");
  $("edit-dialog").close();
  loadTable(conn, tab);
  $("edit-reason").textContent = `Applied ${plural(stmts.length, "statement")} in one transaction.`;
}

export function editFailed(conn, tab, text) {
  conn.txn = "idle";
  showTxn("idle");
  $("edit-status").textContent = text;
  $("edit-apply").disabled = false;
}
