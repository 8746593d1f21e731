// rdsql ui: the connection dialog and the query view (no framework, no
// build step; served from the binary). Design: docs/ui.md.
"use strict";

const $ = (id) => document.getElementById(id);

// A bug in the page is shown, not swallowed (and tests read the list).
window.pageErrors = [];
window.addEventListener("error", (e) => { window.pageErrors.push(`${e.message} (${e.filename}:${e.lineno})`); });
window.addEventListener("unhandledrejection", (e) => { window.pageErrors.push(String(e.reason && e.reason.stack || e.reason)); });
const state = { session: null, profiles: [], portEdited: false, signinJob: null, savedName: null };

async function api(path, body) {
  const opts = body === undefined
    ? { method: "GET", credentials: "same-origin" }
    : { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  let data = {};
  try { data = await r.json(); } catch (_) { data = { error: { headline: `HTTP ${r.status}`, causes: [] } }; }
  return { ok: r.ok, status: r.status, data };
}

// ---- the dialog -------------------------------------------------------

function method() { return $("auth").value; }
function engine() { return $("engine").value; }

function showFor() {
  const sqlite = engine() === "sqlite";
  const m = sqlite ? "" : method();
  // Which controls each engine and method shows comes with the definition.
  window.Dialog.show(engine(), m);
  // Tokens never travel without TLS: disable and prefer are not offered.
  const token = m !== "password" && m !== "";
  for (const o of $("sslmode").options) {
    if (o.value === "disable" || o.value === "prefer") o.disabled = token;
  }
  if (token && ($("sslmode").value === "disable" || $("sslmode").value === "prefer")) $("sslmode").value = "";
  $("sslmode-note").textContent = token
    ? "IAM and SSO tokens are passwords: they never travel without TLS (default verify-full)."
    : "";
  if (!state.portEdited) {
    $("port").value = engine() === "postgres" ? "5432" : (engine() === "sqlite" ? "" : "3306");
  }
  if (m === "sso") fillSsoFromProfile();
  showMfa();
}

/// The MFA Code field, when the chosen profile's role demands MFA.
function showMfa() {
  const p = method() === "iam-profile" && state.profiles.find((x) => x.name === $("aws_profile").value.trim());
  const serial = p && p.mfa_serial;
  $("mfa-field").hidden = !serial;
  $("mfa-note").textContent = serial
    ? `The code of ${serial}. Not needed while the AWS CLI's cached credentials for this role are valid.`
    : "";
}

function ssoProfileChoice() { return $("sso_profile").value; }

function fillSsoFromProfile() {
  const name = ssoProfileChoice();
  const custom = name === "";
  $("sso_start_url").readOnly = !custom;
  $("sso_region").readOnly = !custom;
  if (custom) return;
  const p = state.profiles.find((x) => x.name === name);
  if (!p) return;
  $("sso_start_url").value = p.sso_start_url || "";
  $("sso_region").value = p.sso_region || "";
  if (p.sso_account_id && !$("sso_account_id").value) $("sso_account_id").value = p.sso_account_id;
  if (p.sso_role_name && !$("sso_role_name").value) $("sso_role_name").value = p.sso_role_name;
  if (p.region && !$("aws_region").value) $("aws_region").value = p.region;
}

function regionFromHost() {
  const m = /\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d+)\.rds\.amazonaws\.com(?:\.cn)?\.?$/i.exec($("host").value.trim());
  if (m && !$("aws_region").value && method() !== "password") $("aws_region").value = m[1].toLowerCase();
}

/// The form as the server reads it: the visible controls only (the
/// chosen engine's and method's).
function formData() {
  const f = Object.assign({ engine: engine() }, window.Dialog.values());
  if (state.savedName) f.saved = state.savedName;
  // SSO: a chosen profile names the start URL and region itself.
  if (f.auth === "sso" && ssoProfileChoice()) {
    f.aws_profile = ssoProfileChoice();
    delete f.sso_start_url;
    delete f.sso_region;
  }
  return f;
}

function clearErrors() {
  $("status").textContent = "";
  $("status").className = "status";
  document.querySelectorAll(".field-error").forEach((e) => e.remove());
  document.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
}

function errorBox(err, cls) {
  const box = document.createElement("div");
  box.className = cls;
  const h = document.createElement("div");
  h.className = "headline";
  h.textContent = err.headline;
  box.appendChild(h);
  const lines = (err.details || []).concat(err.causes || []);
  if (lines.length) {
    const ul = document.createElement("ul");
    for (const c of lines) { const li = document.createElement("li"); li.textContent = c; ul.appendChild(li); }
    box.appendChild(ul);
  }
  return box;
}

/// A failure shown beside the field it concerns (else under the form).
function showError(data) {
  const err = data.error || { headline: "failed", causes: [] };
  const fieldId = data.field === "aws_profile" && method() === "sso" ? "sso_profile" : data.field;
  const input = fieldId && $(fieldId);
  if (input && !input.closest("[hidden]")) {
    input.classList.add("invalid");
    input.closest(".field").appendChild(errorBox(err, "field-error"));
  } else {
    $("status").className = "status error";
    $("status").appendChild(errorBox(err, "x"));
  }
}

function busy(on, label) {
  for (const id of ["test", "save", "connect"]) $(id).disabled = on;
  if (on) { $("status").className = "status"; $("status").textContent = label; }
}

async function doTest() {
  clearErrors();
  busy(true, "Testing…");
  const r = await api("/api/test", { form: formData() });
  busy(false);
  clearErrors();
  if (r.data.report) { showReport(r.data.report, r.data.ok); return; }
  if (r.ok) {
    const s = r.data.session;
    $("status").className = "status ok";
    $("status").textContent = `Connection OK: ${s.label} in ${s.connect_ms.toFixed(0)} ms` +
      (s.server_version ? `, server ${s.server_version}` : "") + (s.tls ? `, TLS ${s.tls}` : ", no TLS");
  } else if (r.data.signin_required) {
    startSignin(doTest);
  } else showError(r.data);
}

/// `rdsql aws check`'s report: one line per prerequisite, ✓/✗/–, with
/// what was found and the fix.
function showReport(report, ok) {
  const box = $("status");
  box.textContent = "";
  const failed = report.checks.some((c) => c.status === "fail");
  box.className = ok ? "status ok report" : (failed ? "status error report" : "status warn report");
  const h = document.createElement("div");
  h.className = "headline";
  const n = (st) => report.checks.filter((c) => c.status === st).length;
  h.textContent = ok ? "All prerequisites pass." :
    `${n("pass")} passed, ${n("fail")} failed, ${n("skipped")} skipped`;
  box.appendChild(h);
  const ul = document.createElement("ul");
  ul.className = "checks";
  for (const c of report.checks) {
    const li = document.createElement("li");
    li.className = `check ${c.status}`;
    li.dataset.check = c.name;
    const mark = c.status === "pass" ? "✓" : (c.status === "fail" ? "✗" : "–");
    const title = document.createElement("div");
    title.textContent = `${mark} ${c.name}${c.status === "skipped" ? " (skipped)" : ""}`;
    li.appendChild(title);
    if (c.detail) { const pre = document.createElement("pre"); pre.textContent = c.detail; li.appendChild(pre); }
    for (const fix of c.fix || []) { const d = document.createElement("div"); d.className = "fix"; d.textContent = `fix: ${fix}`; li.appendChild(d); }
    ul.appendChild(li);
  }
  box.appendChild(ul);
  box.scrollIntoView({ block: "start" });
}

/// Browse RDS Databases: the endpoints these credentials see in the
/// region; choosing one fills engine, host and port.
async function browseRds() {
  clearErrors();
  $("rds-warning").hidden = true;
  const list = $("rds-list");
  list.hidden = false;
  list.textContent = "Listing…";
  const r = await api("/api/rds/databases", { form: formData() });
  list.textContent = "";
  if (!r.ok) {
    list.hidden = true;
    if (r.data.signin_required) startSignin(browseRds); else showError(r.data);
    return;
  }
  if (!r.data.databases.length) { list.textContent = `No databases in ${r.data.region}.`; return; }
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const t of ["Identifier", "Kind", "Engine", "Endpoint", "Port", "IAM auth"]) {
    const th = document.createElement("th"); th.textContent = t; head.appendChild(th);
  }
  const body = table.createTBody();
  for (const d of r.data.databases) {
    const row = body.insertRow();
    row.className = "rds-row";
    row.tabIndex = 0;
    row.dataset.identifier = d.identifier;
    row.dataset.kind = d.kind;
    for (const v of [d.identifier, d.kind, `${d.engine}${d.engine_version ? " " + d.engine_version : ""}`,
      d.endpoint || "", d.port || "", d.iam_auth ? "on" : "off"]) {
      row.insertCell().textContent = v;
    }
    const choose = () => {
      $("engine").value = d.rdsql_engine;
      $("host").value = d.endpoint || "";
      $("port").value = d.port || "";
      state.portEdited = true;
      if (!$("aws_region").value) $("aws_region").value = r.data.region;
      showFor();
      list.hidden = true;
      const w = $("rds-warning");
      if (!d.iam_auth) {
        w.textContent = `IAM database authentication is disabled on ${d.identifier}: tokens will be refused. ` +
          `Turn it on with: ${d.enable_iam}`;
        w.hidden = false;
      } else w.hidden = true;
    };
    row.addEventListener("click", choose);
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") choose(); });
  }
  list.appendChild(table);
}

async function doConnect() {
  clearErrors();
  busy(true, "Connecting…");
  const r = await api("/api/connect", { form: formData() });
  busy(false);
  clearErrors();
  if (r.ok) { $("mfa_code").value = ""; enterConnected(r.data); }
  else if (r.data.signin_required) startSignin(doConnect);
  else showError(r.data);
}

async function doSave() {
  clearErrors();
  const name = $("name").value.trim();
  if (!name) {
    showError({ error: { headline: "give the connection a name to save it", causes: [] }, field: "name" });
    return;
  }
  const r = await api("/api/connections/save", { name, form: formData(), replace: state.savedName === name });
  if (r.ok) {
    $("status").className = "status ok";
    $("status").textContent = `Saved "${name}"` + (r.data.secret ? ` (secret ${r.data.secret}).` : ".") +
      ` Open it in a terminal with: rdsql ${name}`;
    state.savedName = name;
    for (const id of ["password", "aws_secret_access_key"]) if ($(id).value) { $(id).value = ""; $(id).placeholder = "saved"; }
    loadSaved();
  } else showError(r.data);
}

// ---- SSO sign-in that completes by itself ------------------------------

async function startSignin(then) {
  const panel = $("signin");
  panel.hidden = false;
  $("signin-text").textContent = "Starting the sign-in… a browser window opens; sign in there.";
  $("signin-link").hidden = true;
  $("signin-code").hidden = true;
  const r = await api("/api/sso/signin", { form: formData() });
  if (!r.ok) { panel.hidden = true; showError(r.data); return; }
  const job = r.data.job;
  state.signinJob = job;
  while (state.signinJob === job) {
    await new Promise((res) => setTimeout(res, 700));
    const s = await api(`/api/sso/signin/${job}`);
    if (!s.ok) { panel.hidden = true; showError(s.data); return; }
    const st = s.data.status;
    if (st.url) {
      $("signin-link").href = st.url;
      $("signin-link").hidden = false;
      $("signin-text").textContent = "Waiting for you to sign in with your browser (a window opened; the link opens it again).";
    }
    if (st.user_code) { $("signin-code").textContent = st.user_code; $("signin-code").hidden = false; }
    if (st.state === "done") {
      state.signinJob = null;
      panel.hidden = true;
      loadSsoPickers();
      then();
      return;
    }
    if (st.state === "failed" || st.state === "cancelled") {
      state.signinJob = null;
      panel.hidden = true;
      if (st.error) showError({ error: st.error, field: "sso_start_url" });
      return;
    }
  }
}

async function cancelSignin() {
  if (state.signinJob) await api("/api/sso/cancel", { job: state.signinJob });
}

function ssoQuery() {
  if (ssoProfileChoice()) return { aws_profile: ssoProfileChoice() };
  return { sso_start_url: $("sso_start_url").value.trim(), sso_region: $("sso_region").value.trim() };
}

function fillList(id, items) {
  const dl = $(id);
  dl.textContent = "";
  for (const [value, text] of items) { const o = document.createElement("option"); o.value = value; o.textContent = text; dl.appendChild(o); }
}

/// After a sign-in exists: accounts and roles from ListAccounts / ListAccountRoles.
async function loadSsoPickers() {
  if (method() !== "sso") return;
  const a = await api("/api/sso/accounts", ssoQuery());
  if (!a.ok) return;
  fillList("sso-accounts", a.data.accounts.map((x) => [x.id, x.name]));
  loadSsoRoles();
}

async function loadSsoRoles() {
  const acct = $("sso_account_id").value.trim();
  if (!acct) return;
  const r = await api("/api/sso/roles", Object.assign(ssoQuery(), { account_id: acct }));
  if (r.ok) fillList("sso-roles", r.data.roles.map((x) => [x, x]));
}

// ---- profiles and saved connections ------------------------------------

async function loadProfiles() {
  const r = await api("/api/profiles");
  if (!r.ok) { showError(r.data); return; }
  state.profiles = r.data.profiles;
  fillList("profile-names", state.profiles.filter((p) => !p.kind.startsWith("sso")).map((p) => [p.name, p.kind]));
  const sel = $("sso_profile");
  const keep = sel.value;
  sel.textContent = "";
  for (const p of state.profiles.filter((x) => x.kind.startsWith("sso"))) {
    const o = document.createElement("option"); o.value = p.name; o.textContent = p.name; sel.appendChild(o);
  }
  const c = document.createElement("option"); c.value = ""; c.textContent = "Custom (enter manually)"; sel.appendChild(c);
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  fillSsoFromProfile();
  showMfa();
}

async function loadSaved() {
  const r = await api("/api/connections");
  const list = $("saved-list");
  list.textContent = "";
  if (!r.ok) { showError(r.data); return; }
  $("saved-empty").hidden = r.data.connections.length > 0;
  for (const c of r.data.connections) {
    const li = document.createElement("li");
    const open = document.createElement("button");
    open.type = "button"; open.className = "open";
    open.textContent = c.name;
    const small = document.createElement("small");
    small.textContent = `${c.fields.engine || ""} ${c.fields.host || c.fields.dbname || ""}`;
    open.appendChild(small);
    open.addEventListener("click", () => loadIntoDialog(c, false));
    const dup = document.createElement("button");
    dup.type = "button"; dup.className = "icon"; dup.textContent = "⧉";
    dup.setAttribute("aria-label", `Duplicate ${c.name}`); dup.title = "Duplicate";
    dup.addEventListener("click", () => loadIntoDialog(c, true));
    const del = document.createElement("button");
    del.type = "button"; del.className = "icon"; del.textContent = "✕";
    del.setAttribute("aria-label", `Delete ${c.name}`); del.title = "Delete";
    del.addEventListener("click", async () => {
      if (!confirm(`Delete the saved connection "${c.name}" and its secret?`)) return;
      const d = await api("/api/connections/delete", { name: c.name });
      if (!d.ok) showError(d.data);
      loadSaved();
    });
    li.append(open, dup, del);
    list.appendChild(li);
  }
}

function resetDialog() {
  $("dialog").reset();
  state.savedName = null;
  state.portEdited = false;
  for (const id of ["password", "aws_secret_access_key"]) $(id).placeholder = "";
  clearErrors();
  showFor();
}

/// Fills the dialog from a saved connection (its secret stays on the
/// server: the box says where it is).
function loadIntoDialog(c, duplicate) {
  resetDialog();
  const f = c.fields;
  $("engine").value = f.engine || "postgres";
  $("auth").value = f.auth || "password";
  window.Dialog.fill(f);
  if (f.ssh) document.querySelector("details.advanced").open = true;
  if (f.aws_profile) $("sso_profile").value = f.aws_profile;
  state.portEdited = f.port !== undefined;
  if (duplicate) {
    $("name").value = `${c.name}-copy`;
  } else {
    $("name").value = c.name;
    state.savedName = c.name;
    if (c.secret) for (const id of ["password", "aws_secret_access_key"]) $(id).placeholder = c.secret;
  }
  showFor();
}

// ---- the workspace (workspace.js) ----------------------------------------

function enterConnected(data) {
  window.Workspace.addConnection(data);
}

// ---- wiring ------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  await window.Dialog.render();
  $("engine").addEventListener("change", showFor);
  $("auth").addEventListener("change", () => { showFor(); regionFromHost(); });
  $("port").addEventListener("input", () => { state.portEdited = true; });
  $("host").addEventListener("change", regionFromHost);
  $("sso_profile").addEventListener("change", () => { fillSsoFromProfile(); loadSsoPickers(); });
  $("sso_account_id").addEventListener("change", loadSsoRoles);
  $("aws_profile").addEventListener("change", () => {
    const p = state.profiles.find((x) => x.name === $("aws_profile").value.trim());
    if (p && p.region && !$("aws_region").value) $("aws_region").value = p.region;
    showMfa();
  });
  $("aws_profile").addEventListener("input", showMfa);
  $("browse-rds").addEventListener("click", browseRds);
  document.querySelectorAll(".refresh-profiles").forEach((b) => b.addEventListener("click", loadProfiles));
  $("test").addEventListener("click", doTest);
  $("save").addEventListener("click", doSave);
  $("dialog").addEventListener("submit", (e) => { e.preventDefault(); doConnect(); });
  $("signin-cancel").addEventListener("click", cancelSignin);
  $("new-connection").addEventListener("click", resetDialog);
  showFor();
  loadProfiles();
  loadSaved();
});
