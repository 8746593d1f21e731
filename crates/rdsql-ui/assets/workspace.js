// rdsql ui: the query workspace — connections, editor tabs (kept on disk
// by the server), streaming results, schema tree, history, export and row
// editing. Design: docs/ui.md.
// Entry point (an ES module): wires the controls; the sections live in
// ws-state.js, ws-editor.js, ws-run.js, ws-tree.js and ws-history.js.

import { addConnection, disconnectCurrent, formatSql, stashEditor } from "./ws-editor.js";
import { loadHistory, showSide } from "./ws-history.js";
import { cancelRun, execute, exportAs, loadMore, renderRun, runFromEditor } from "./ws-run.js";
import { WS, applyTheme, loadStore, saveNow, saveSoon } from "./ws-state.js";
import { addRow, applyEdits, deleteRows, loadCatalog, loadTable, renderTableBar, renderTree, reviewEdits } from "./ws-tree.js";

// ---- wiring ----------------------------------------------------------------

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
