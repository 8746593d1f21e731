// rdsql ui workspace: shared state, helpers, the saved workspace and the theme.

export const CM = window.RdsqlEditor;
export const { Grid, sqlString } = window.RdsqlGrid;

export const WS = {
  conns: [],
  current: null,
  store: { version: 1, connections: {}, settings: { cap: 100000, theme: "auto" } },
  view: null,
  lang: new CM.Compartment(),
  theme: new CM.Compartment(),
  saveTimer: 0,
};

export const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
export const plural = (n, w) => `${n.toLocaleString("en-US")} ${w}${n === 1 ? "" : "s"}`;
export const isMy = (engine) => engine === "mysql" || engine === "mariadb";
export const ident = (s, engine) => isMy(engine) ? "`" + s.replace(/`/g, "``") + "`" : '"' + s.replace(/"/g, '""') + '"';

// ---- persistence -----------------------------------------------------------

export async function loadStore() {
  const r = await api("/api/workspace");
  if (r.ok && r.data.workspace && r.data.workspace.version === 1) WS.store = Object.assign(WS.store, r.data.workspace);
  WS.store.settings = Object.assign({ cap: 100000, theme: "auto" }, WS.store.settings || {});
  applyTheme();
}

export function saveSoon() {
  clearTimeout(WS.saveTimer);
  WS.saveTimer = setTimeout(saveNow, 400);
}

export async function saveNow() {
  clearTimeout(WS.saveTimer);
  for (const c of WS.conns) {
    const tabs = c.tabs.filter((t) => t.kind === "sql").map((t) => ({ title: t.title, sql: docOf(t) }));
    const active = Math.max(0, c.tabs.filter((t) => t.kind === "sql").indexOf(c.active));
    WS.store.connections[c.key] = { tabs, active };
  }
  const r = await api("/api/workspace/save", WS.store);
  $("ws-saved").textContent = r.ok ? "" : "Tabs not saved: " + ((r.data.error && r.data.error.headline) || r.status);
}

export function docOf(tab) {
  if (WS.current && WS.current.active === tab && WS.view) return WS.view.state.doc.toString();
  return tab.state ? tab.state.doc.toString() : tab.sql || "";
}

// ---- theme -----------------------------------------------------------------

export function dark() {
  const t = WS.store.settings.theme;
  return t === "dark" || (t === "auto" && window.matchMedia("(prefers-color-scheme: dark)").matches);
}

export function applyTheme() {
  const t = WS.store.settings.theme;
  if (t === "auto") delete document.documentElement.dataset.theme; else document.documentElement.dataset.theme = t;
  $("ws-theme").value = t;
  if (WS.view) WS.view.dispatch({ effects: WS.theme.reconfigure(themeExt()) });
}

export function themeExt() {
  return [
    CM.EditorView.theme({}, { dark: dark() }),
    CM.syntaxHighlighting(dark() ? CM.oneDarkHighlightStyle : CM.defaultHighlightStyle, { fallback: true }),
  ];
}
