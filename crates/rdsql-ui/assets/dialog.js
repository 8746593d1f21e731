// rdsql ui: the connection dialog's controls, built from /api/fields —
// one definition of the fields (crates/rdsql-connect/src/form.rs) feeds
// the flags, URLs, saved files and this form. Design: docs/ui.md.
"use strict";

window.Dialog = (function () {
  let controls = [];

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false || v === "") continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    e.append(...kids);
    return e;
  }

  function refresh(label) {
    return el("button", { type: "button", class: "icon refresh-profiles", "aria-label": label, title: "Refresh profiles", text: "⟳" });
  }

  /// One control in its field box, with the decorations its `extra` names.
  function control(c) {
    const box = el("div", { class: ["field", c.width, c.kind === "switch" ? "checkbox" : ""].filter(Boolean).join(" ") });
    box.dataset.engines = c.engines;
    if (c.methods.length) box.dataset.methods = c.methods.join(" ");
    if (c.help) box.title = c.help;
    const label = el("label", { for: c.id, text: c.label });
    let input;
    if (c.kind === "choice") {
      input = el("select", { id: c.id, name: c.key });
      if (c.placeholder) { const blank = el("option", { text: c.placeholder }); blank.value = ""; input.append(blank); }
      for (const o of c.choices) { const opt = el("option", { text: o.label }); opt.value = o.value; input.append(opt); }
    } else if (c.kind === "picker") {
      input = el("select", { id: c.id });
    } else if (c.kind === "switch") {
      input = el("input", { id: c.id, type: "checkbox" });
    } else {
      input = el("input", {
        id: c.id, name: c.key, placeholder: c.placeholder,
        type: c.kind === "password" ? "password" : undefined,
        inputmode: c.kind === "number" ? "numeric" : undefined,
      });
    }
    const [kind, arg] = c.extra.split(":");
    if (c.kind === "switch") {
      box.append(input, label);
      return box;
    }
    box.append(label);
    if (kind === "profiles") {
      input.setAttribute("list", "profile-names");
      box.append(el("div", { class: "with-button" }, input, refresh("Refresh AWS profiles")), el("datalist", { id: "profile-names" }));
    } else if (kind === "sso-profiles") {
      box.append(el("div", { class: "with-button" }, input, refresh("Refresh SSO profiles")));
    } else if (kind === "datalist") {
      input.setAttribute("list", arg);
      box.append(input, el("datalist", { id: arg }));
    } else if (kind === "mfa") {
      // Shown only when the chosen profile's role demands MFA (app.js).
      box.id = "mfa-field";
      box.hidden = true;
      Object.assign(input, { inputMode: "numeric", autocomplete: "one-time-code", maxLength: 8 });
      box.append(input, el("p", { id: "mfa-note", class: "note" }));
    } else {
      box.append(input);
      if (kind === "note") box.append(el("p", { id: arg, class: "note" }));
    }
    return box;
  }

  /// Builds the controls into the dialog's sections, side by side where
  /// the definition puts them in one row.
  async function render() {
    const r = await fetch("/api/fields", { credentials: "same-origin" });
    const def = await r.json();
    controls = def.dialog;
    let row = null;
    let rowKey = "";
    let rowSection = "";
    for (const c of controls) {
      const section = document.getElementById(`dialog-${c.section}`);
      const box = control(c);
      if (c.row && c.row === rowKey && c.section === rowSection) {
        row.append(box);
        continue;
      }
      rowKey = c.row;
      rowSection = c.section;
      if (c.row) {
        row = el("div", { class: "row" }, box);
        section.append(row);
      } else {
        row = null;
        section.append(box);
      }
    }
    return controls;
  }

  /// Shows each control (and each box marked with data-engines or
  /// data-methods) for the chosen engine and method.
  function show(engine, method) {
    const sqlite = engine === "sqlite";
    document.querySelectorAll("[data-engines], [data-methods]").forEach((e) => {
      const en = e.dataset.engines || "server";
      const engineOk = en === "all" || (en === "sqlite") === sqlite;
      const ms = e.dataset.methods;
      const methodOk = !ms || (!sqlite && ms.split(" ").includes(method));
      e.hidden = !(engineOk && methodOk);
    });
  }

  /// The visible controls' values, by form key.
  function values() {
    const f = {};
    for (const c of controls) {
      if (c.kind === "picker" || c.id === "name") continue;
      const e = document.getElementById(c.id);
      if (!e || e.closest("[hidden]")) continue;
      if (c.kind === "switch") {
        if (e.checked) f[c.key] = c.saved ? "true" : true;
        continue;
      }
      const v = c.kind === "password" ? e.value : e.value.trim();
      if (v !== "") f[c.key] = v;
    }
    return f;
  }

  /// Fills the controls a saved connection has values for (never a
  /// secret: those stay on the server).
  function fill(fields) {
    for (const c of controls) {
      if (!c.saved || fields[c.key] === undefined) continue;
      const e = document.getElementById(c.id);
      if (c.kind === "switch") e.checked = fields[c.key] === "true";
      else e.value = fields[c.key];
    }
  }

  return { render, show, values, fill };
})();
