// rdsql ui workspace: running statements, streamed results, export and
// the transaction marker.

import { Grid, WS, el, plural } from "./ws-state.js";
import { editCell } from "./ws-tree.js";

// ---- running statements ----------------------------------------------------

export async function runFromEditor(mode) {
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
export async function execute(conn, tab, sql, opts = {}) {
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

export async function handle(conn, tab, run, ev) {
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

export function loadMore(run) {
  if (!run || !run.resume) return;
  run.cap += run.step;
  const r = run.resume;
  run.resume = null;
  r();
}

/// Lets go of a result still streaming: the server cancels the statement
/// and the rows already loaded stay.
export function closeStream(conn) {
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

export function finish(conn, tab, run) {
  run.running = false;
  if (conn.stream && conn.stream.run === run) conn.stream = null;
  if (run.elapsed === null) run.elapsed = performance.now() - run.started;
  showTxn(conn === WS.current ? conn.txn : undefined);
  renderRun(tab);
  if (run.onDone) run.onDone(run);
}

export function startTicker(conn, run) {
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

export async function cancelRun() {
  const conn = WS.current;
  if (!conn) return;
  const s = conn.stream;
  if (s && s.run.paused) return closeStream(conn);
  $("run-info").textContent = "Cancelling…";
  await api("/api/cancel", { session: conn.id });
}

export function showRunError(tab, data) {
  tab.run = { sql: "", results: [], messages: [], error: data.error, running: false, elapsed: 0, active: 0 };
  renderRun(tab);
}

export function showMessage(tab, text, isError) {
  if (!tab) return;
  if (!tab.run) tab.run = { sql: "", results: [], messages: [], error: null, running: false, elapsed: null, active: 0 };
  if (isError) tab.run.error = { headline: text, causes: [] }; else tab.run.messages.push(text);
  renderRun(tab);
}

// ---- results ---------------------------------------------------------------

export function renderRun(tab) {
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

export function renderMeta(tab) {
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

// ---- export ----------------------------------------------------------------

export async function exportAs(format) {
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

// ---- transaction state -----------------------------------------------------

export function showTxn(txn) {
  if (!txn) return;
  const label = { idle: "Idle", open: "In transaction", failed: "Failed transaction" }[txn] || txn;
  $("txn").textContent = label;
  $("txn").className = `txn ${txn}`;
  $("commit").disabled = txn !== "open";
  $("rollback").disabled = txn === "idle";
}
