// rdsql ui workspace: the statement history.

import { openSqlTab } from "./ws-editor.js";
import { WS, el } from "./ws-state.js";

// ---- history ---------------------------------------------------------------

export async function loadHistory() {
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

export function showSide(which) {
  $("side-schema").hidden = which !== "schema";
  $("side-history").hidden = which !== "history";
  $("side-tab-schema").classList.toggle("active", which === "schema");
  $("side-tab-history").classList.toggle("active", which === "history");
  if (which === "history") loadHistory();
}
