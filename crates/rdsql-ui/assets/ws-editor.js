// rdsql ui workspace: the SQL editor, connections and their tabs.

import { closeStream, renderRun, runFromEditor, showMessage, showTxn } from "./ws-run.js";
import { CM, WS, el, saveNow, saveSoon, themeExt } from "./ws-state.js";
import { loadCatalog, renderTableBar, renderTree } from "./ws-tree.js";

// ---- editor ----------------------------------------------------------------

export function dialect(engine) {
  return { postgres: CM.dialects.postgres, mysql: CM.dialects.mysql, mariadb: CM.dialects.mariadb, sqlite: CM.dialects.sqlite }[engine] || CM.dialects.standard;
}

/// Completion: keywords of the dialect, schemas/tables/columns from the
/// catalog, and the columns of every table the statement names.
export function langExt(conn) {
  const d = dialect(conn.engine);
  const schema = {};
  const columnsOf = new Map();
  const cat = conn.catalog;
  if (cat) {
    for (const s of cat.schemas) {
      const ns = {};
      for (const o of s.objects) {
        const cols = o.columns.map((c) => ({ label: c.name, type: "property", detail: c.type }));
        ns[o.name] = cols;
        columnsOf.set(o.name.toLowerCase(), cols);
        columnsOf.set(`${s.name}.${o.name}`.toLowerCase(), cols);
      }
      schema[s.name] = ns;
    }
  }
  const config = { dialect: d, schema, defaultSchema: cat ? cat.current || undefined : undefined };
  const named = (ctx) => {
    const word = ctx.matchBefore(/\w*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const text = ctx.state.doc.toString().toLowerCase();
    const seen = new Set();
    const options = [];
    for (const m of text.matchAll(/\b(?:from|join|update|into)\s+([\w."`]+)/g)) {
      const name = m[1].replace(/["`]/g, "");
      for (const c of columnsOf.get(name) || columnsOf.get(name.split(".").pop()) || []) {
        if (!seen.has(c.label)) { seen.add(c.label); options.push({ ...c, boost: 5 }); }
      }
    }
    return options.length ? { from: word.from, options, validFor: /^\w*$/ } : null;
  };
  return [
    CM.sql(config),
    CM.autocompletion({ override: [named, CM.schemaCompletionSource(config), CM.keywordCompletionSource(d)], activateOnTyping: true }),
  ];
}

export function editorState(conn, text) {
  const run = (mode) => () => { runFromEditor(mode); return true; };
  return CM.EditorState.create({
    doc: text,
    extensions: [
      CM.lineNumbers(), CM.highlightSpecialChars(), CM.history(), CM.drawSelection(),
      CM.indentOnInput(), CM.bracketMatching(), CM.closeBrackets(), CM.highlightActiveLine(),
      CM.highlightSelectionMatches(),
      CM.keymap.of([
        { key: "Mod-Enter", run: run("cursor") },
        { key: "Shift-Mod-Enter", run: run("script") },
        { key: "Shift-Alt-f", run: () => { formatSql(); return true; } },
        ...CM.closeBracketsKeymap, ...CM.defaultKeymap, ...CM.searchKeymap, ...CM.historyKeymap,
        ...CM.completionKeymap, CM.indentWithTab,
      ]),
      WS.lang.of(langExt(conn)),
      WS.theme.of(themeExt()),
      CM.EditorView.updateListener.of((u) => { if (u.docChanged) saveSoon(); }),
      CM.EditorView.contentAttributes.of({ "aria-label": "SQL editor" }),
      // The page's policy allows the editor's <style> elements by nonce only.
      CM.EditorView.cspNonce.of(document.querySelector('meta[name="style-nonce"]').content),
    ],
  });
}

export function formatSql() {
  const v = WS.view;
  const conn = WS.current;
  if (!v || !conn) return;
  const language = { postgres: "postgresql", mysql: "mysql", mariadb: "mariadb", sqlite: "sqlite" }[conn.engine] || "sql";
  const sel = v.state.selection.main;
  const from = sel.empty ? 0 : sel.from, to = sel.empty ? v.state.doc.length : sel.to;
  try {
    const out = CM.format(v.state.sliceDoc(from, to), { language, keywordCase: "preserve" });
    v.dispatch({ changes: { from, to, insert: out } });
  } catch (err) {
    showMessage(conn.active, `Cannot format: ${err.message}`, true);
  }
}

// ---- connections and tabs --------------------------------------------------

/// Called by the dialog after a successful connect.
export function addConnection(data) {
  const s = data.session;
  const conn = {
    id: data.id, key: data.key || s.label, label: s.label, engine: s.engine, info: s,
    tabs: [], active: null, catalog: null, txn: "idle", stream: null,
  };
  const saved = WS.store.connections[conn.key];
  const tabs = saved && saved.tabs && saved.tabs.length ? saved.tabs : [{ title: "Query 1", sql: "" }];
  for (const t of tabs) {
    const tab = newTab(conn, t.title, t.sql);
    if (t.withheld) tab.note = "This tab's text was not kept on disk: it looked like it held a password or key.";
    conn.tabs.push(tab);
  }
  conn.active = conn.tabs[Math.min((saved && saved.active) || 0, conn.tabs.length - 1)];
  WS.conns.push(conn);
  document.body.classList.add("connected");
  $("dialog-view").hidden = true;
  $("connected-view").hidden = false;
  selectConnection(conn);
  loadCatalog(conn);
  saveSoon();
}

export function newTab(conn, title, sql) {
  return { kind: "sql", title, sql, state: editorState(conn, sql || ""), run: null };
}

export function selectConnection(conn) {
  stashEditor();
  WS.current = conn;
  renderConnTabs();
  $("connected-title").textContent = conn.label;
  const s = conn.info;
  $("connected-info").textContent = `${s.engine}` + (s.server_version ? ` ${s.server_version}` : "") + (s.tls ? ` · TLS ${s.tls}` : " · no TLS");
  renderTree();
  showTxn(conn.txn);
  selectTab(conn.active);
}

export function renderConnTabs() {
  const bar = $("conn-tabs");
  bar.textContent = "";
  for (const c of WS.conns) {
    const b = el("button", "conn-tab" + (c === WS.current ? " active" : ""), c.key);
    b.type = "button";
    b.title = c.label;
    b.addEventListener("click", () => selectConnection(c));
    bar.appendChild(b);
  }
}

export function stashEditor() {
  const c = WS.current;
  if (c && c.active && c.active.kind === "sql" && WS.view) c.active.state = WS.view.state;
}

export function selectTab(tab) {
  const conn = WS.current;
  stashEditor();
  conn.active = tab;
  renderEditorTabs();
  const sqlTab = tab.kind === "sql";
  $("editor-pane").hidden = !sqlTab;
  for (const id of ["run", "run-script", "format"]) $(id).hidden = !sqlTab;
  $("table-bar").hidden = sqlTab;
  if (sqlTab) {
    if (!WS.view) WS.view = new CM.EditorView({ state: tab.state, parent: $("editor") });
    else WS.view.setState(tab.state);
    // Catalog and theme may have changed since the tab was last shown.
    WS.view.dispatch({ effects: [WS.lang.reconfigure(langExt(conn)), WS.theme.reconfigure(themeExt())] });
  } else {
    renderTableBar(tab);
  }
  renderRun(tab);
  if (tab.note) { showMessage(tab, tab.note); tab.note = null; }
  saveSoon();
}

export function renderEditorTabs() {
  const conn = WS.current;
  const bar = $("editor-tabs");
  bar.textContent = "";
  conn.tabs.forEach((t) => {
    const wrap = el("div", "etab" + (t === conn.active ? " active" : ""));
    const b = el("button", "etab-name", t.kind === "table" ? `▦ ${t.title}` : t.title);
    b.type = "button";
    b.addEventListener("click", () => selectTab(t));
    b.addEventListener("dblclick", () => {
      if (t.kind !== "sql") return;
      const name = prompt("Tab name", t.title);
      if (name && name.trim()) { t.title = name.trim(); renderEditorTabs(); saveSoon(); }
    });
    const x = el("button", "etab-close", "×");
    x.type = "button";
    x.title = `Close ${t.title}`;
    x.setAttribute("aria-label", `Close ${t.title}`);
    x.addEventListener("click", () => closeTab(t));
    wrap.append(b, x);
    bar.appendChild(wrap);
  });
  const add = el("button", "etab-add", "+");
  add.type = "button";
  add.title = "New editor tab";
  add.setAttribute("aria-label", "New editor tab");
  add.addEventListener("click", () => openSqlTab(""));
  bar.appendChild(add);
}

export function openSqlTab(sql, title) {
  const conn = WS.current;
  const n = conn.tabs.filter((t) => t.kind === "sql").length + 1;
  const tab = newTab(conn, title || `Query ${n}`, sql);
  conn.tabs.push(tab);
  selectTab(tab);
  return tab;
}

export function closeTab(tab) {
  const conn = WS.current;
  if (conn.stream && conn.stream.tab === tab) closeStream(conn);
  const i = conn.tabs.indexOf(tab);
  conn.tabs.splice(i, 1);
  if (!conn.tabs.length) conn.tabs.push(newTab(conn, "Query 1", ""));
  if (conn.active === tab) { conn.active = null; selectTab(conn.tabs[Math.max(0, i - 1)]); } else renderEditorTabs();
  saveSoon();
}

export async function disconnectCurrent() {
  const conn = WS.current;
  if (!conn) return;
  await saveNow();
  closeStream(conn);
  await api("/api/disconnect", { session: conn.id });
  WS.conns.splice(WS.conns.indexOf(conn), 1);
  WS.current = null;
  if (WS.conns.length) selectConnection(WS.conns[WS.conns.length - 1]);
  else {
    document.body.classList.remove("connected");
    $("connected-view").hidden = true;
    $("dialog-view").hidden = false;
  }
}
