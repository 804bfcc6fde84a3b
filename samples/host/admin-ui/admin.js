// The admin console: one page over the JSON admin API (docs/admin-api.md). The session cookie is
// HttpOnly; the CSRF token the login returns goes into X-CSRF-Token on every POST. The orders
// list and the open order are polled every few seconds, so new filings appear without a reload.
"use strict";

const POLL_MS = 3000;
const PER_PAGE = 50;
const state = { csrf: "", page: 1, total: 0, view: "orders", orderId: null, seen: new Set(), timer: null };

const $ = (id) => document.getElementById(id);

function say(text, bad) {
  $("message").textContent = text;
  $("message").className = bad ? "bad" : "";
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = state.csrf;
  }
  const response = await fetch("/admin/api/" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: "no JSON answer" }; }
  // A session that ended while the page was open; the first "session" question just finds none.
  if (response.status === 401 && path !== "login" && path !== "session")
    showLogin("Please log in again (" + data.error + ")");
  if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
  return data;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function fill(tableId, items, render) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren();
  for (const item of items) body.appendChild(render(item));
}

function showLogin(text) {
  stopPolling();
  $("nav").hidden = true;
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  $("login-view").hidden = false;
  if (text) say(text, true);
  $("login-user").focus();
}

function show(view) {
  state.view = view;
  say("");  // a message belongs to the view it came from
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  $(view + "-view").hidden = false;
  for (const b of document.querySelectorAll("nav button[data-view]"))
    b.toggleAttribute("aria-current", b.dataset.view === view || (view === "order" && b.dataset.view === "orders"));
  for (const b of document.querySelectorAll("nav button[aria-current]")) b.setAttribute("aria-current", "page");
  const loaders = { orders: loadOrders, failures: loadFailures, config: loadConfig, modules: loadModules };
  if (loaders[view]) loaders[view]().catch((e) => say(e.message, true));
  if (view === "orders" || view === "order") startPolling(); else stopPolling();
}

async function loadOrders() {
  const query = new URLSearchParams({ page: state.page, perPage: PER_PAGE });
  if ($("search").value) query.set("search", $("search").value);
  if ($("state").value) query.set("state", $("state").value);
  const data = await api("GET", "orders?" + query);
  state.total = data.total;
  const first = state.seen.size === 0;
  fill("orders-table", data.orders, (order) => {
    const row = document.createElement("tr");
    if (!first && !state.seen.has(order.orderId)) row.className = "new";
    state.seen.add(order.orderId);
    const idCell = cell(row, "");
    idCell.appendChild(button(String(order.orderId), () => openOrder(order.orderId)));
    cell(row, order.reference);
    cell(row, order.status);
    cell(row, order.filed);
    cell(row, order.removed);
    cell(row, order.failed, order.failed > 0 ? "error" : "");
    cell(row, order.lastChecked);
    row.dataset.orderId = order.orderId;
    return row;
  });
  const pages = Math.max(1, Math.ceil(data.total / data.perPage));
  $("page-info").textContent = "page " + data.page + " of " + pages + " (" + data.total + " orders)";
  $("previous-page").disabled = data.page <= 1;
  $("next-page").disabled = data.page >= pages;
}

async function openOrder(id) {
  state.orderId = id;
  show("order");
  $("preview-table").querySelector("tbody").replaceChildren();
  await loadOrder().catch((e) => say(e.message, true));
  $("order-title").focus();
}

// The order's cost from the plugin's ledger (exact NOK strings); "credited" once a line of it was
// cancelled or refunded, so a cost that went down is explained rather than silently changed.
function costRows(cost) {
  if (!cost) return [["Cost", "none recorded"]];
  return [["Net cost", cost.net + " NOK"], ["VAT", cost.vat + " NOK"],
    ["Gross cost", cost.gross + " NOK" + (cost.credited ? " (credited)" : "")]];
}

async function loadOrder() {
  const data = await api("GET", "order?id=" + state.orderId);
  const o = data.order;
  $("order-title").textContent = "Order " + o.orderId;
  $("order-title").tabIndex = -1;
  const summary = $("order-summary");
  summary.replaceChildren();
  for (const [label, value] of [["Reference", o.reference], ["Status", o.status], ["Origin", o.origin],
      ["Filed", o.filed], ["Removed", o.removed], ["Failed", o.failed], ["Last checked", o.lastChecked],
      ...costRows(data.cost)]) {
    const dt = document.createElement("dt"); dt.textContent = label;
    const dd = document.createElement("dd"); dd.textContent = value === null ? "" : String(value);
    summary.append(dt, dd);
  }
  fill("assets-table", data.assets, (asset) => {
    const row = document.createElement("tr");
    cell(row, asset.name); cell(row, asset.category); cell(row, asset.state);
    cell(row, asset.path); cell(row, asset.size); cell(row, asset.lastError, "error");
    const actionCell = cell(row, "");
    if (asset.state === "failed")
      actionCell.appendChild(button("Retry " + asset.name, () => retry(o.orderId, asset.assetId)));
    return row;
  });
  fill("audit-table", data.audit, (entry) => {
    const row = document.createElement("tr");
    cell(row, entry.time); cell(row, entry.action); cell(row, entry.path);
    cell(row, entry.detail); cell(row, entry.actor);
    return row;
  });
}

async function retry(orderId, assetId) {
  try {
    const body = { orderId };
    if (assetId) body.assetId = assetId;
    const data = await api("POST", "retry", body);
    say("Retry of order " + orderId + ": " + data.retried + " file(s) queued again");
    if (state.view === "order") await loadOrder();
    if (state.view === "failures") await loadFailures();
  } catch (e) { say(e.message, true); }
}

async function preview(orderId, tableId) {
  const data = await api("GET", "preview?order=" + orderId);
  fill(tableId, data.assets, (asset) => {
    const row = document.createElement("tr");
    cell(row, asset.name); cell(row, asset.category); cell(row, asset.action); cell(row, asset.path);
    return row;
  });
  return data;
}

async function loadFailures() {
  const data = await api("GET", "failures");
  fill("failures-table", data.failures, (f) => {
    const row = document.createElement("tr");
    const idCell = cell(row, "");
    idCell.appendChild(button(String(f.orderId), () => openOrder(f.orderId)));
    cell(row, f.name); cell(row, f.error, "error"); cell(row, f.since);
    cell(row, "").appendChild(button("Retry " + f.name, () => retry(f.orderId, f.assetId)));
    return row;
  });
  if (data.failures.length === 0) say("No failures.");
}

async function loadConfig() {
  const data = await api("GET", "config");
  $("config-text").textContent = JSON.stringify(data, null, 2);
}

async function loadModules() {
  const data = await api("GET", "modules");
  $("host-info").textContent = data.host + ", host-sdk interface " + data.hostInterfaceVersion;
  fill("modules-table", data.modules, (m) => {
    const row = document.createElement("tr");
    cell(row, m.kind); cell(row, m.name); cell(row, m.version); cell(row, m.interfaceVersion);
    return row;
  });
}

function startPolling() {
  stopPolling();
  // The list or the open order: new filings and retried files appear without a reload.
  state.timer = setInterval(() => {
    (state.view === "order" ? loadOrder() : loadOrders()).catch(() => {});
  }, POLL_MS);
}

function stopPolling() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

function loggedIn(data) {
  state.csrf = data.csrfToken || "";
  $("who").textContent = "(" + data.user + ")";
  $("login-view").hidden = true;
  $("nav").hidden = false;
  say("");
  show("orders");
}

async function action(run) {
  try {
    const data = await run();
    $("action-result").textContent = JSON.stringify(data, null, 2);
    say("Done.");
  } catch (e) { say(e.message, true); }
}

function wire() {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      loggedIn(await api("POST", "login", { user: $("login-user").value, password: $("login-password").value }));
      $("login-password").value = "";
    } catch (e) { say(e.message, true); }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "logout", {}); } catch (e) { /* gone already */ }
    state.csrf = "";
    showLogin("Logged out.");
  });
  for (const b of document.querySelectorAll("nav button[data-view]"))
    b.addEventListener("click", () => show(b.dataset.view));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.page = 1;
    loadOrders().catch((e) => say(e.message, true));
  });
  $("previous-page").addEventListener("click", () => { state.page--; loadOrders().catch((e) => say(e.message, true)); });
  $("next-page").addEventListener("click", () => { state.page++; loadOrders().catch((e) => say(e.message, true)); });
  $("back-to-orders").addEventListener("click", () => show("orders"));
  $("order-sync").addEventListener("click", () => action(() => api("POST", "sync", { orderId: state.orderId })));
  $("order-retry").addEventListener("click", () => retry(state.orderId));
  $("order-preview").addEventListener("click", () => preview(state.orderId, "preview-table").catch((e) => say(e.message, true)));
  $("track-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { orderId: Number($("track-id").value) };
    if ($("track-reference").value) body.reference = $("track-reference").value;
    action(() => api("POST", "track", body));
  });
  $("sync-form").addEventListener("submit", (event) => {
    event.preventDefault();
    action(() => api("POST", "sync", { orderId: Number($("sync-id").value) }));
  });
  $("preview-form").addEventListener("submit", (event) => {
    event.preventDefault();
    action(() => api("GET", "preview?order=" + encodeURIComponent($("preview-id").value)));
  });
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    action(() => api("POST", "verify", { repair: $("verify-repair").checked, quick: $("verify-quick").checked }));
  });
}

document.addEventListener("DOMContentLoaded", async () => {
  wire();
  try { loggedIn(await api("GET", "session")); } catch (e) { showLogin(""); }
});
