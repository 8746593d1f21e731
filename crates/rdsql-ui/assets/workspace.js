// rdsql ui: the query workspace — connections, editor tabs (kept on disk
// by the server), streaming results, schema tree, history, export and row
// editing. Design: docs/ui.md.
(() => {
"use strict";

const CM = window.RdsqlEditor;
const { Grid, sqlString } = window.RdsqlGrid;

const WS = {
  conns: [],
  current: null,
  store: { version: 1, connections: {}, settings: { cap: 100000, theme: "auto" } },
  view: null,
  lang: new CM.Compartment(),
  theme: new CM.Compartment(),
  saveTimer: 0,
};

const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const plural = (n, w) => `${n.toLocaleString("en-US")} ${w}${n === 1 ? "" : "s"}`;
const isMy = (engine) => engine === "mysql" || engine === "mariadb";
const ident = (s, engine) => isMy(engine) ? "`" + s.replace(/`/g, "``") + "`" : '"' + s.replace(/"/g, '""') + '"';

// ---- persistence ---------------------------------------------------------

async function loadStore() {
  const r = await api("/api/workspace");
  if (r.ok && r.data.workspace && r.data.workspace.version === 1) WS.store = Object.assign(WS.store, r.data.workspace);
  WS.store.settings = Object.assign({ cap: 100000, theme: "auto" }, WS.store.settings || {});
  applyTheme();
}

function saveSoon() {
  clearTimeout(WS.saveTimer);
  WS.saveTimer = setTimeout(saveNow, 400);
}

async function saveNow() {
  clearTimeout(WS.saveTimer);
  for (const c of WS.conns) {
    const tabs = c.tabs.filter((t) => t.kind === "sql").map((t) => ({ title: t.title, sql: docOf(t) }));
    const active = Math.max(0, c.tabs.filter((t) => t.kind === "sql").indexOf(c.active));
    WS.store.connections[c.key] = { tabs, active };
  }
  const r = await api("/api/workspace/save", WS.store);
  $("ws-saved").textContent = r.ok ? "" : "Tabs not saved: " + ((r.data.error && r.data.error.headline) || r.status);
}

function docOf(tab) {
  if (WS.current && WS.current.active === tab && WS.view) return WS.view.state.doc.toString();
  return tab.state ? tab.state.doc.toString() : tab.sql || "";
}

// ---- theme ---------------------------------------------------------------

function dark() {
  const t = WS.store.settings.theme;
  return t === "dark" || (t === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
}

function applyTheme() {
  const t = WS.store.settings.theme;
  if (t === "auto") delete document.documentElement.dataset.theme; else document.documentElement.dataset.theme = t;
  $("ws-theme").value = t;
  if (WS.view) WS.view.dispatch({ effects: WS.theme.reconfigure(themeExt()) });
}

function themeExt() {
  return [
    CM.EditorView.theme({}, { dark: dark() }),
    CM.syntaxHighlighting(dark() ? CM.oneDarkHighlightStyle : CM.defaultHighlightStyle, { fallback: true }),
  ];
}

// ---- editor --------------------------------------------------------------

function dialect(engine) {
  return { postgres: CM.dialects.postgres, mysql: CM.dialects.mysql, mariadb: CM.dialects.mariadb, sqlite: CM.dialects.sqlite }[engine] || CM.dialects.standard;
}

/// Completion: keywords of the dialect, schemas/tables/columns from the
/// catalog, and the columns of every table the statement names.
function langExt(conn) {
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

function editorState(conn, text) {
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

function formatSql() {
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
function addConnection(data) {
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

function newTab(conn, title, sql) {
  return { kind: "sql", title, sql, state: editorState(conn, sql || ""), run: null };
}

function selectConnection(conn) {
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

function renderConnTabs() {
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

function stashEditor() {
  const c = WS.current;
  if (c && c.active && c.active.kind === "sql" && WS.view) c.active.state = WS.view.state;
}

function selectTab(tab) {
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

function renderEditorTabs() {
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

function openSqlTab(sql, title) {
  const conn = WS.current;
  const n = conn.tabs.filter((t) => t.kind === "sql").length + 1;
  const tab = newTab(conn, title || `Query ${n}`, sql);
  conn.tabs.push(tab);
  selectTab(tab);
  return tab;
}

function closeTab(tab) {
  const conn = WS.current;
  if (conn.stream && conn.stream.tab === tab) closeStream(conn);
  const i = conn.tabs.indexOf(tab);
  conn.tabs.splice(i, 1);
  if (!conn.tabs.length) conn.tabs.push(newTab(conn, "Query 1", ""));
  if (conn.active === tab) { conn.active = null; selectTab(conn.tabs[Math.max(0, i - 1)]); } else renderEditorTabs();
  saveSoon();
}

async function disconnectCurrent() {
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

// ---- running statements ------------------------------------------------------

async function runFromEditor(mode) {
  const conn = WS.current;
  const tab = conn.active;
  const v = WS.view;
  const doc = v.state.doc.toString();
  const sel = v.state.selection.main;
  let sql = doc;
  if (mode === "cursor") {
    if (!sel.empty) sql = v.state.sliceDoc(sel.from, sel.to);
    else {
      const r = await api("/api/split", { session: conn.id, sql: doc });
      if (!r.ok) return showRunError(tab, r.data);
      const ranges = r.data.statements;
      if (!ranges.length) return;
      let pick = ranges[0];
      for (const g of ranges) if (g[0] <= sel.head) pick = g;
      sql = doc.slice(pick[0], pick[1]);
    }
  }
  if (!sql.trim()) return;
  execute(conn, tab, sql);
}

/// Runs `sql` and streams its results into `tab`. `opts.cap` / `opts.step`
/// set how many rows the grid holds before it offers more.
async function execute(conn, tab, sql, opts = {}) {
  if (conn.stream) closeStream(conn);
  const cap = opts.cap || Number(WS.store.settings.cap) || 100000;
  const run = {
    sql, results: [], messages: [], affected: [], error: null, started: performance.now(), elapsed: null,
    running: true, paused: false, cap, step: opts.step || cap, active: 0, reconnected: false,
  };
  tab.run = run;
  renderRun(tab);
  startTicker(conn, run);
  let res;
  try {
    res = await fetch("/api/query", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session: conn.id, sql }),
    });
  } catch (err) {
    run.error = { headline: `The rdsql ui server did not answer: ${err.message}`, causes: ["is `rdsql ui` still running?"] };
    return finish(conn, tab, run);
  }
  if (!res.ok) {
    let data = {};
    try { data = await res.json(); } catch (_) { data = { error: { headline: `HTTP ${res.status}`, causes: [] } }; }
    run.error = data.error;
    return finish(conn, tab, run);
  }
  const reader = res.body.getReader();
  conn.stream = { reader, tab, run };
  const dec = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) await handle(conn, tab, run, JSON.parse(line));
        if (run.closed) return;
      }
    }
  } catch (err) {
    if (!run.closed) run.error = { headline: `The result stream broke: ${err.message}`, causes: [] };
  }
  finish(conn, tab, run);
}

async function handle(conn, tab, run, ev) {
  if (ev.result) {
    run.results.push({ columns: ev.result.columns, types: null, rows: [], pending: [], done: false, total: null });
    run.active = run.results.length - 1;
    renderRun(tab);
  } else if (ev.types) {
    const rs = run.results[run.results.length - 1];
    rs.types = ev.types;
    if (rs.grid) rs.grid.update();
  } else if (ev.rows) {
    const rs = run.results[run.results.length - 1];
    for (const r of ev.rows) (rs.rows.length < run.cap ? rs.rows : rs.pending).push(r);
    if (rs.grid) rs.grid.update();
    renderMeta(tab);
    // The grid holds `cap` rows; the rest waits on the server until asked
    // for (the query is never run again).
    while (rs.pending.length) {
      run.paused = true;
      const resumed = new Promise((resolve) => { run.resume = resolve; });
      renderMeta(tab);
      await resumed;
      run.paused = false;
      if (run.closed) return;
      const take = rs.pending.splice(0, run.cap - rs.rows.length);
      for (const r of take) rs.rows.push(r);
      if (rs.grid) rs.grid.update();
      renderMeta(tab);
    }
  } else if (ev.end) {
    const rs = run.results[run.results.length - 1];
    rs.done = true;
    rs.total = ev.end.rows;
    renderMeta(tab);
  } else if (ev.affected !== undefined) {
    run.messages.push(`${plural(ev.affected, "row")} affected`);
    run.affected.push(ev.affected);
    // A script of many statements: draw once per frame, not per statement.
    if (!run.drawPending) {
      run.drawPending = true;
      requestAnimationFrame(() => { run.drawPending = false; renderRun(tab); });
    }
  } else if (ev.error) {
    run.error = ev.error;
    conn.txn = ev.txn || conn.txn;
  } else if (ev.done) {
    run.elapsed = ev.done.elapsed_ms;
    run.reconnected = ev.done.reconnected;
    conn.txn = ev.done.txn;
  }
}

function loadMore(run) {
  if (!run || !run.resume) return;
  run.cap += run.step;
  const r = run.resume;
  run.resume = null;
  r();
}

/// Lets go of a result still streaming: the server cancels the statement
/// and the rows already loaded stay.
function closeStream(conn) {
  const s = conn.stream;
  if (!s) return;
  conn.stream = null;
  s.run.closed = true;
  s.run.running = false;
  s.run.messages.push("Result closed; the rows loaded so far are kept.");
  try { s.reader.cancel(); } catch (_) { /* already closed */ }
  if (s.run.resume) { const r = s.run.resume; s.run.resume = null; r(); }
  renderRun(s.tab);
}

function finish(conn, tab, run) {
  run.running = false;
  if (conn.stream && conn.stream.run === run) conn.stream = null;
  if (run.elapsed === null) run.elapsed = performance.now() - run.started;
  showTxn(conn === WS.current ? conn.txn : undefined);
  renderRun(tab);
  if (run.onDone) run.onDone(run);
}

function startTicker(conn, run) {
  const tick = () => {
    if (!run.running) { clearInterval(timer); return; }
    if (WS.current && WS.current.active && WS.current.active.run === run) {
      $("run-info").textContent = run.paused ? "Paused: the rest waits on the server" : `Running… ${((performance.now() - run.started) / 1000).toFixed(1)} s`;
      $("cancel").hidden = false;
      $("cancel").textContent = run.paused ? "Close result" : "Cancel";
      $("run").disabled = true;
    }
  };
  const timer = setInterval(tick, 100);
  tick();
}

async function cancelRun() {
  const conn = WS.current;
  if (!conn) return;
  const s = conn.stream;
  if (s && s.run.paused) return closeStream(conn);
  $("run-info").textContent = "Cancelling…";
  await api("/api/cancel", { session: conn.id });
}

function showRunError(tab, data) {
  tab.run = { sql: "", results: [], messages: [], error: data.error, running: false, elapsed: 0, active: 0 };
  renderRun(tab);
}

function showMessage(tab, text, isError) {
  if (!tab) return;
  if (!tab.run) tab.run = { sql: "", results: [], messages: [], error: null, running: false, elapsed: null, active: 0 };
  if (isError) tab.run.error = { headline: text, causes: [] }; else tab.run.messages.push(text);
  renderRun(tab);
}

// ---- results -----------------------------------------------------------------

function renderRun(tab) {
  const conn = WS.current;
  if (!conn || conn.active !== tab) return;
  const run = tab.run;
  const tabsBar = $("result-tabs");
  const box = $("results");
  // Taking a grid out of the page resets its scroll position: keep it.
  for (const r of (run && run.results) || []) if (r.grid && r.grid.el.isConnected) r.scroll = [r.grid.el.scrollTop, r.grid.el.scrollLeft];
  tabsBar.textContent = "";
  box.textContent = "";
  $("query-error").textContent = "";
  $("query-error").className = "status";
  $("run").disabled = !!(run && run.running);
  $("cancel").hidden = !(run && run.running);
  if (!run) { $("run-info").textContent = ""; renderMeta(tab); return; }
  if (!run.running) {
    $("run-info").textContent = run.elapsed !== null && run.elapsed !== undefined ? `${run.elapsed.toFixed(1)} ms` + (run.reconnected ? " · the server had closed the session; reconnected first" : "") : "";
  }
  if (run.error) {
    $("query-error").className = "status error";
    $("query-error").appendChild(errorBox(run.error, "x"));
  }
  run.results.forEach((rs, i) => {
    const b = el("button", "rtab" + (i === run.active ? " active" : ""), `Result ${i + 1}`);
    b.type = "button";
    b.addEventListener("click", () => { run.active = i; renderRun(tab); });
    tabsBar.appendChild(b);
  });
  if (run.messages.length) {
    const m = el("div", "messages");
    // A long script: its last lines and a total, not thousands of lines.
    const shown = run.messages.length > 30 ? run.messages.slice(-10) : run.messages;
    if (shown !== run.messages) {
      const total = run.affected.reduce((a, b) => a + b, 0);
      m.appendChild(el("div", "meta", `${plural(run.messages.length, "message")}; ${plural(total, "row")} affected in all; the last 10:`));
    }
    for (const t of shown) m.appendChild(el("div", "meta", t));
    box.appendChild(m);
  }
  const rs = run.results[run.active];
  if (rs) {
    if (rs.grid && rs.gridHost) {
      box.appendChild(rs.gridHost);
      if (rs.scroll) [rs.grid.el.scrollTop, rs.grid.el.scrollLeft] = rs.scroll;
      rs.grid.schedule();
    } else {
      const host = el("div", "grid-host");
      box.appendChild(host);
      const table = tab.kind === "table" ? tab.table.qualified : null;
      rs.grid = new Grid(host, rs, {
        engine: conn.engine, table, edits: tab.kind === "table" ? tab.edits : null,
        onScroll: (last, n) => { if (tab.kind === "table" && last >= n - 5 && run.resume && n === rs.rows.length) loadMore(run); },
        onEdit: tab.kind === "table" ? (idx, col, cell) => editCell(tab, rs, idx, col, cell) : null,
        onCopied: (format, text, err) => { $("copy-note").textContent = err ? `Copy failed (${err.message}); the text is in the console` : `Copied ${format.toUpperCase()}`; if (err) console.log(text); },
      });
      rs.gridHost = host;
    }
  }
  renderMeta(tab);
}

function renderMeta(tab) {
  const conn = WS.current;
  if (!conn || conn.active !== tab) return;
  const run = tab.run;
  const rs = run && run.results[run.active];
  const meta = $("result-meta");
  $("load-more").hidden = true;
  $("result-tools").hidden = !rs;
  if (!rs) { meta.textContent = ""; return; }
  let text = `${plural(rs.rows.length, "row")}`;
  if (rs.done && rs.total !== null && rs.total > rs.rows.length) text += ` of ${rs.total.toLocaleString("en-US")}`;
  if (!rs.done && run.running) text += run.paused ? ` loaded — ${plural(rs.pending.length, "more row")} arrived and more wait on the server` : " so far…";
  if (!rs.done && !run.running && run.closed) text += " (result closed before its end)";
  meta.textContent = text;
  if (run.paused && run.resume) {
    $("load-more").hidden = false;
    $("load-more").textContent = `Load ${run.step.toLocaleString("en-US")} more`;
  }
}

// ---- export ------------------------------------------------------------------

async function exportAs(format) {
  const conn = WS.current;
  const tab = conn.active;
  const sql = tab.run && tab.run.sql;
  if (!sql) return;
  const note = $("export-note");
  note.textContent = `Export runs the statement again on a new connection, as \`rdsql query --format ${format}\` would…`;
  const r = await api("/api/export", { session: conn.id, sql, format });
  if (!r.ok) { note.textContent = ""; return showMessage(tab, (r.data.error && r.data.error.headline) || "Export failed", true); }
  const a = el("a");
  a.href = r.data.url;
  a.download = r.data.file;
  document.body.appendChild(a);
  a.click();
  a.remove();
  const poll = async () => {
    const s = await api(`${r.data.url}/status`);
    if (!s.ok) return;
    const p = s.data.export;
    if (p.state === "done") note.textContent = `Exported ${plural(p.rows, "row")} (${(p.bytes / 1048576).toFixed(1)} MB) as ${format.toUpperCase()} — the statement ran again for this.`;
    else if (p.state === "failed") note.textContent = `Export failed: ${p.error ? p.error.headline : "unknown error"}`;
    else { note.textContent = `Exporting… ${plural(p.rows, "row")}, ${(p.bytes / 1048576).toFixed(1)} MB`; setTimeout(poll, 500); }
  };
  setTimeout(poll, 300);
}

// ---- transaction state ---------------------------------------------------------

function showTxn(txn) {
  if (!txn) return;
  const label = { idle: "Idle", open: "In transaction", failed: "Failed transaction" }[txn] || txn;
  $("txn").textContent = label;
  $("txn").className = `txn ${txn}`;
  $("commit").disabled = txn !== "open";
  $("rollback").disabled = txn === "idle";
}

// ---- schema tree ---------------------------------------------------------------

async function loadCatalog(conn) {
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

const KINDS = [["table", "Tables"], ["view", "Views"], ["materialized view", "Materialized views"], ["foreign table", "Foreign tables"]];

function renderTree() {
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

function objectNode(conn, schema, o) {
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

// ---- table view and row editing ---------------------------------------------------

function openTable(conn, schema, o) {
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

function loadTable(conn, tab) {
  tab.edits = { cells: new Map(), deleted: new Set(), firstNew: Infinity };
  // In primary-key order when there is one: rows keep their place after
  // an edit is applied and the table is read again.
  const order = tab.table.pk.length ? ` order by ${tab.table.pk.map((c) => ident(c, conn.engine)).join(", ")}` : "";
  execute(conn, tab, `select * from ${tab.table.qualified}${order}`, { cap: 100, step: 500 });
}

function editReason(tab) {
  const t = tab.table;
  if (t.object.kind !== "table") return `Read-only: ${t.name} is a ${t.object.kind}.`;
  if (!t.pk.length) return `Read-only: ${t.name} has no primary key, so a row cannot be named safely.`;
  return "";
}

function renderTableBar(tab) {
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
function renderStructure(tab) {
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

function editCell(tab, rs, idx, col, cell) {
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

function tableResult(tab) { return tab.run && tab.run.results[0]; }

function addRow(tab) {
  const rs = tableResult(tab);
  if (!rs) return;
  if (tab.edits.firstNew === Infinity) tab.edits.firstNew = rs.rows.length;
  rs.rows.push(rs.columns.map(() => null));
  rs.grid.update();
  rs.grid.scrollToEnd();
}

function deleteRows(tab) {
  const rs = tableResult(tab);
  if (!rs || !rs.grid.sel) return;
  const s = rs.grid.sel;
  for (let r = Math.min(s.r0, s.r1); r <= Math.max(s.r0, s.r1); r++) tab.edits.deleted.add(rs.grid.indexAt(r));
  rs.grid.schedule();
}

/// The statements that apply the pending edits, one per changed row.
function editStatements(tab, engine) {
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

function reviewEdits(tab) {
  const conn = WS.current;
  const stmts = editStatements(tab, conn.engine);
  if (!stmts.length) { $("edit-reason").textContent = "Nothing to apply: no cell was changed."; return; }
  $("edit-sql").textContent = ["BEGIN;", ...stmts.map((s) => s.sql + ";"), "COMMIT;"].join("\n");
  $("edit-status").textContent = conn.txn !== "idle" ? "A transaction is open on this connection: commit or roll it back first." : "";
  $("edit-apply").disabled = conn.txn !== "idle";
  $("edit-dialog").showModal();
}

/// Runs statements to completion without a grid; resolves to what came back.
async function quiet(conn, sql) {
  const holder = { kind: "quiet" };
  await execute(conn, holder, sql);
  return { error: holder.run.error, affected: holder.run.affected };
}

async function applyEdits(tab) {
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

function editFailed(conn, tab, text) {
  conn.txn = "idle";
  showTxn("idle");
  $("edit-status").textContent = text;
  $("edit-apply").disabled = false;
}

// ---- history ---------------------------------------------------------------------

async function loadHistory() {
  const conn = WS.current;
  if (!conn) return;
  const r = await api("/api/history", { session: conn.id, q: $("history-filter").value });
  const list = $("history-list");
  list.textContent = "";
  if (!r.ok) { list.appendChild(el("li", "muted", (r.data.error && r.data.error.headline) || "cannot read the history")); return; }
  if (!r.data.entries.length) list.appendChild(el("li", "muted", r.data.note || "Nothing yet."));
  for (const e of r.data.entries) {
    const li = el("li", e.ok ? "" : "failed");
    const b = el("button", "history-entry", e.sql.length > 200 ? e.sql.slice(0, 200) + "…" : e.sql);
    b.type = "button";
    b.title = `${new Date(e.at * 1000).toLocaleString()} · ${e.ms} ms${e.ok ? "" : " · failed"} — click to open in a new tab`;
    b.addEventListener("click", () => { showSide("schema"); openSqlTab(e.sql); });
    li.appendChild(b);
    list.appendChild(li);
  }
}

function showSide(which) {
  $("side-schema").hidden = which !== "schema";
  $("side-history").hidden = which !== "history";
  $("side-tab-schema").classList.toggle("active", which === "schema");
  $("side-tab-history").classList.toggle("active", which === "history");
  if (which === "history") loadHistory();
}

// ---- wiring ------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", () => runFromEditor("cursor"));
  $("run-script").addEventListener("click", () => runFromEditor("script"));
  $("format").addEventListener("click", formatSql);
  $("cancel").addEventListener("click", cancelRun);
  $("commit").addEventListener("click", () => execute(WS.current, WS.current.active, "commit"));
  $("rollback").addEventListener("click", () => execute(WS.current, WS.current.active, "rollback"));
  $("disconnect").addEventListener("click", disconnectCurrent);
  $("add-connection").addEventListener("click", () => { stashEditor(); $("connected-view").hidden = true; $("dialog-view").hidden = false; });
  $("load-more").addEventListener("click", () => loadMore(WS.current.active.run));
  $("result-filter").addEventListener("input", (e) => { const t = WS.current.active; const rs = t.run && t.run.results[t.run.active]; if (rs && rs.grid) rs.grid.setFilter(e.target.value); });
  $("copy-as").addEventListener("change", (e) => {
    const t = WS.current.active; const rs = t.run && t.run.results[t.run.active];
    if (rs && rs.grid && e.target.value) rs.grid.copy(e.target.value);
    e.target.value = "";
  });
  $("export-as").addEventListener("change", (e) => { if (e.target.value) exportAs(e.target.value); e.target.value = ""; });
  $("tree-filter").addEventListener("input", renderTree);
  // "change" also fires when the box loses focus — e.g. on a click into
  // the tree, which a redraw would swallow: redraw only for a new value.
  $("tree-filter").addEventListener("change", () => { if ($("tree-filter").value !== WS.treeFilter) renderTree(); });
  $("tree-refresh").addEventListener("click", () => loadCatalog(WS.current));
  $("side-tab-schema").addEventListener("click", () => showSide("schema"));
  $("side-tab-history").addEventListener("click", () => showSide("history"));
  $("history-filter").addEventListener("input", () => { clearTimeout(WS.histTimer); WS.histTimer = setTimeout(loadHistory, 200); });
  $("table-data").addEventListener("click", () => { const t = WS.current.active; t.view = "data"; renderTableBar(t); renderRun(t); });
  $("table-structure").addEventListener("click", () => { const t = WS.current.active; t.view = "structure"; renderTableBar(t); });
  $("table-reload").addEventListener("click", () => loadTable(WS.current, WS.current.active));
  $("add-row").addEventListener("click", () => addRow(WS.current.active));
  $("delete-rows").addEventListener("click", () => deleteRows(WS.current.active));
  $("discard-edits").addEventListener("click", () => loadTable(WS.current, WS.current.active));
  $("review-edits").addEventListener("click", () => reviewEdits(WS.current.active));
  $("edit-apply").addEventListener("click", () => applyEdits(WS.current.active));
  $("edit-cancel").addEventListener("click", () => $("edit-dialog").close());
  $("ws-theme").addEventListener("change", (e) => { WS.store.settings.theme = e.target.value; applyTheme(); saveSoon(); });
  $("ws-cap").addEventListener("change", (e) => {
    const n = Math.max(100, Math.min(10000000, parseInt(e.target.value, 10) || 100000));
    e.target.value = n;
    WS.store.settings.cap = n;
    saveSoon();
  });
  window.addEventListener("beforeunload", () => { if (WS.conns.length) saveNow(); });
  loadStore().then(() => { $("ws-cap").value = WS.store.settings.cap; });
});

window.Workspace = { addConnection, execute, WS };
})();
