// FlowFall portal: login, the customer view and the operator view. Plain ES module, no
// framework; every piece of data goes into the page as text nodes, never as HTML.
import { drawChain } from "./chain.js";

const API = "portal/api/";
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const state = {
  info: null, // SessionInfo: { actor: {role, name}, csrf_token, poll_interval_secs }
  timer: null,
  selected: null, // operator: selected customer name
  panel: null, // the open service panel
  generation: 0, // refresh counter
};

/** Creates an element: h("p", {class: "x"}, "text", child). */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.info && state.info.csrf_token) {
    headers["X-CSRF-Token"] = state.info.csrf_token;
  }
  const res = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const message = (data && data.error) || `${res.status} ${res.statusText}`;
    if (res.status === 401 && path !== "login" && path !== "session") {
      showLogin("Your session has ended; please log in again.");
    }
    throw new ApiError(res.status, message);
  }
  return { status: res.status, data };
}

// ---- formatting -------------------------------------------------------------------------

function fmtBytes(n) {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = Number(n) || 0;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

function fmtCount(n) {
  return (Number(n) || 0).toLocaleString("en-US");
}

function fmtTos(tos) {
  return `0x${tos.toString(16).padStart(2, "0")} (DSCP ${tos >> 2})`;
}

function fmtTime(ms) {
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "just now", "5 min ago", "3 h ago", or the date; the exact time goes in a tooltip. */
function fmtAgo(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmtTime(ms);
}

function when(ms) {
  return h("td", { title: fmtTime(ms) }, fmtAgo(ms));
}

function actorText(a) {
  return a ? `${a.role} ${a.name}` : "";
}

function hopText(hop) {
  if (!hop) return "";
  if (hop.via === "vm") return `${hop.vm} (${hop.hypervisor})`;
  if (hop.via === "bypass") return "bypass";
  return "dropped";
}

function resultText(entry) {
  const o = entry.outcome;
  let t = o.status === "failed" ? `failed: ${o.message}` : o.status;
  if (entry.hook) t += entry.hook.ok ? " · CPE updated" : ` · CPE hook failed: ${entry.hook.detail}`;
  return t;
}

/** The user-facing sentence for a ChangeResponse. */
function describeChange(resp) {
  const c = resp.change;
  const on = c.new_services.length ? `${c.new_services.join(", ")} on` : "no services on (every layer bypassed)";
  let text = `Applied: ${on}`;
  if (c.tos !== null && c.tos !== undefined) text += `, ToS ${fmtTos(c.tos)}`;
  text += c.confirmed
    ? ". Every switch confirmed the new flows."
    : ". Pushed to the switches; not every switch has confirmed yet.";
  let level = c.confirmed ? "ok" : "warn";
  if (resp.hook) {
    if (resp.hook.ok) {
      text += ` CPE updated (${resp.hook.detail}).`;
    } else {
      text += ` CPE update failed (${resp.hook.detail}); the flows already use the new ` +
        "services, apply again to retry.";
      level = "warn";
    }
  }
  return { text, level };
}

// ---- the service panel (customer view, operator editor) ---------------------------------

let idCounter = 0;

function setStatus(panel, text, level) {
  panel.status.textContent = text;
  panel.status.className = `status ${level || ""}`;
}

function createPanel(container, name, ownView) {
  const panel = { name, dirty: false, busy: false, page: null };
  const form = h("form", { "aria-label": `Services of ${name}` });
  panel.toggles = h("div");
  const fieldset = h("fieldset", { class: "services" }, h("legend", {}, "Services"), panel.toggles);
  panel.apply = h("button", { type: "submit" }, "Apply changes");
  panel.undo = h("button", { type: "button", class: "secondary" }, "Undo edits");
  panel.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  form.append(fieldset, h("div", { class: "actions" }, panel.apply, panel.undo), panel.status);
  panel.facts = h("dl", { class: "facts", "aria-label": "Service facts" });
  panel.path = h("div");
  panel.history = h("div");
  container.replaceChildren(
    h("div", { class: "panel-grid" }, form, h("div", {}, panel.facts, panel.path, panel.history)),
  );
  panel.ownView = ownView;

  const buttons = () => {
    panel.apply.disabled = panel.busy || !panel.dirty;
    panel.undo.disabled = panel.busy || !panel.dirty;
  };
  panel.buttons = buttons;
  form.addEventListener("change", () => {
    panel.dirty = true;
    setStatus(panel, "Edited, not applied yet.", "");
    buttons();
  });
  panel.undo.addEventListener("click", () => {
    panel.dirty = false;
    renderToggles(panel);
    setStatus(panel, "", "");
    buttons();
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const services = [...panel.toggles.querySelectorAll("input[type=checkbox]")]
      .filter((i) => i.checked)
      .map((i) => i.value);
    panel.busy = true;
    buttons();
    setStatus(panel, "Applying…", "");
    try {
      const { data } = await call("PUT", `customers/${encodeURIComponent(name)}/services`, { services });
      const { text, level } = describeChange(data);
      panel.dirty = false;
      setStatus(panel, text, level);
    } catch (e) {
      setStatus(panel, `Not applied: ${e.message}`, "bad");
    } finally {
      panel.busy = false;
      buttons();
    }
    await refresh();
  });
  buttons();
  return panel;
}

function renderToggles(panel) {
  const page = panel.page;
  if (!page) return;
  const rows = page.services.map((s) => {
    const id = `svc-${++idCounter}`;
    const input = h("input", {
      type: "checkbox", id, value: s.name, checked: s.enabled, disabled: !s.allowed,
    });
    input.checked = s.enabled;
    const row = h("div", { class: "toggle" }, input, h("label", { for: id }, s.name));
    if (!s.allowed) {
      const noteId = `${id}-note`;
      input.setAttribute("aria-describedby", noteId);
      row.append(h("span", { class: "note", id: noteId }, "set by your operator"));
    }
    return row;
  });
  if (rows.length === 0) rows.push(h("p", { class: "hint" }, "This chain has no layers."));
  panel.toggles.replaceChildren(...rows);
}

function renderPath(panel) {
  const { customer, services } = panel.page;
  const layers = services.map((s) => s.name);
  const head = h("tr", {}, h("th", { scope: "col" }, "Direction"), h("th", { scope: "col" }, "Prefix"),
    ...layers.map((l) => h("th", { scope: "col" }, l)));
  const body = h("tbody");
  for (const p of customer.paths) {
    for (const [dir, hops, cls, label] of [
      ["up", p.upstream, "dir-up", "Upstream →"],
      ["down", p.downstream, "dir-down", "← Downstream"],
    ]) {
      const byLayer = new Map(hops.map((hop) => [hop.layer, hop]));
      body.append(h("tr", { "data-direction": dir },
        h("th", { scope: "row", class: cls }, label),
        h("td", {}, p.prefix),
        ...layers.map((l) => {
          const hop = byLayer.get(l);
          return h("td", { class: hop ? `via-${hop.via}` : "" }, hopText(hop));
        })));
    }
  }
  const caption = panel.ownView ? "Path of your traffic" : `Path of ${customer.name}'s traffic`;
  panel.path.replaceChildren(h("table", { class: "path-table" },
    h("caption", {}, caption), h("thead", {}, head), body));
}

function renderFacts(panel) {
  const { customer, tos_mode: tosMode } = panel.page;
  const rows = [["Services on", customer.services.length ? customer.services.join(", ") : "none"]];
  if (tosMode && customer.tos !== null && customer.tos !== undefined) {
    rows.push(["ToS value", fmtTos(customer.tos)]);
  }
  rows.push(["Prefixes", customer.paths.map((p) => p.prefix).join(", ") || "none"]);
  const c = customer.counters;
  if (c) {
    rows.push(["Upstream traffic", `${fmtBytes(c.upstream.bytes)} · ${fmtCount(c.upstream.packets)} packets`]);
    rows.push(["Downstream traffic", `${fmtBytes(c.downstream.bytes)} · ${fmtCount(c.downstream.packets)} packets`]);
  } else {
    rows.push(["Traffic", "no counters yet"]);
  }
  panel.facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function renderHistory(panel) {
  const entries = panel.page.audit;
  if (!entries.length) {
    panel.history.replaceChildren();
    return;
  }
  const rows = entries.map((e) => h("tr", {},
    when(e.at_unix_ms), h("td", {}, actorText(e.actor)),
    h("td", {}, e.new_services.join(", ") || "none"),
    h("td", { class: `result-${e.outcome.status}` }, resultText(e))));
  panel.history.replaceChildren(h("table", {},
    h("caption", {}, "Recent changes"),
    h("thead", {}, h("tr", {}, ...["When", "Who", "Services", "Result"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows)));
}

function updatePanel(panel, page) {
  panel.page = page;
  if (!panel.dirty && !panel.busy) renderToggles(panel);
  renderFacts(panel);
  renderPath(panel);
  renderHistory(panel);
  panel.buttons();
}

// ---- views ------------------------------------------------------------------------------

function hideViews() {
  for (const id of ["login-view", "customer-view", "operator-view", "editor"]) $(id).hidden = true;
}

function stopPolling() {
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
}

function notice(text) {
  const n = $("notice");
  n.textContent = text || "";
  n.hidden = !text;
}

function showLogin(message) {
  stopPolling();
  state.info = null;
  state.panel = null;
  state.selected = null;
  hideViews();
  $("who").hidden = true;
  $("login-view").hidden = false;
  notice(message || "");
  $("token").focus();
}

function showApp(info) {
  state.info = info;
  notice("");
  hideViews();
  $("who").hidden = false;
  $("who-name").textContent = `Logged in as ${actorText(info.actor)}`;
  if (info.actor.role === "operator") {
    $("operator-view").hidden = false;
    state.panel = null;
  } else {
    $("customer-view").hidden = false;
    $("customer-title").textContent = `${info.actor.name}: your service`;
    state.panel = createPanel($("customer-panel"), info.actor.name, true);
  }
  refresh();
}

function renderOperator(ov) {
  $("chain-name").textContent = ov.chain.name;
  if (state.selected && !ov.customers.some((c) => c.name === state.selected)) state.selected = null;

  $("customer-list").replaceChildren(...ov.customers.map((c) => {
    const b = h("button", { type: "button", "aria-pressed": String(c.name === state.selected) },
      h("span", {}, c.name),
      h("small", {}, c.services.length ? c.services.join(", ") : "no services"));
    b.addEventListener("click", () => selectCustomer(c.name === state.selected ? null : c.name));
    return h("li", {}, b);
  }));

  drawChain($("chain"), ov.chain, ov.customers, state.selected);

  const alarms = ov.alarms.map((a) => h("li", {},
    h("span", { class: `sev sev-${a.severity}` }, a.severity), `${a.source}: ${a.message}`,
    a.since_unix_ms ? h("span", { class: "hint" }, ` since ${fmtTime(a.since_unix_ms)}`) : null));
  $("alarm-list").replaceChildren(...(alarms.length ? alarms : [h("li", { class: "hint" }, "No active alarms.")]));

  $("switch-table").tBodies[0].replaceChildren(...ov.chain.switches.map((s, k) => h("tr", {},
    h("th", { scope: "row" }, `J${k} ${s.name}`), h("td", {}, s.dpid || "?"),
    h("td", {}, s.connected ? s.state + (s.in_sync === false ? " (update pending)" : "") : "disconnected"),
    h("td", {}, s.flows === null || s.flows === undefined ? "" : fmtCount(s.flows)))));

  $("hook-target").textContent = ov.cpe_hook ? `CPE hook: ${ov.cpe_hook}` : "No CPE hook configured.";
  const audit = ov.audit.map((e) => h("tr", {},
    h("td", {}, String(e.seq)), when(e.at_unix_ms), h("td", {}, actorText(e.actor)),
    h("td", {}, e.customer), h("td", {}, e.old_services.join(", ") || "none"),
    h("td", {}, e.new_services.join(", ") || "none"),
    h("td", { class: `result-${e.outcome.status}` }, resultText(e))));
  $("audit-table").tBodies[0].replaceChildren(...(audit.length
    ? audit : [h("tr", {}, h("td", { colspan: 7, class: "hint" }, "No changes yet."))]));
}

function selectCustomer(name) {
  state.selected = name;
  if (name) {
    $("editor").hidden = false;
    $("editor-title").textContent = `Customer ${name}`;
    state.panel = createPanel($("editor-panel"), name, false);
  } else {
    $("editor").hidden = true;
    state.panel = null;
  }
  refresh();
}

async function refresh() {
  stopPolling();
  if (!state.info) return;
  // Only the latest refresh schedules the next one, so overlapping refreshes never stack timers.
  const generation = ++state.generation;
  try {
    if (state.info.actor.role === "operator") {
      const { data } = await call("GET", "overview");
      renderOperator(data);
    }
    const panel = state.panel;
    if (panel) {
      const { data } = await call("GET", `customers/${encodeURIComponent(panel.name)}`);
      if (state.panel === panel) updatePanel(panel, data);
    }
    notice("");
  } catch (e) {
    if (e.status === 401) return; // showLogin already ran
    notice(`Could not refresh: ${e.message}`);
  }
  if (state.info && !document.hidden && generation === state.generation) {
    stopPolling();
    state.timer = setTimeout(refresh, Math.max(1, state.info.poll_interval_secs) * 1000);
  }
}

// ---- wiring -----------------------------------------------------------------------------

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("token");
  $("login-error").textContent = "";
  try {
    const { data } = await call("POST", "login", { token: input.value.trim() });
    input.value = "";
    showApp(data);
  } catch (e) {
    $("login-error").textContent = e.status === 401 ? "Unknown token." : `Login failed: ${e.message}`;
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await call("POST", "logout");
  } catch {
    // The session may already be gone; the login page is right either way.
  }
  showLogin("Logged out.");
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.info) refresh();
});

(async () => {
  try {
    const { data } = await call("GET", "session");
    showApp(data);
  } catch {
    showLogin("");
  }
})();
