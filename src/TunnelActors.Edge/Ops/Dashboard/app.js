// The edge dashboard: everything it shows comes from the admin API (/api/...), polled every
// second with the operator's admin token (kept in this tab's sessionStorage only).
"use strict";

const $ = (selector) => document.querySelector(selector);
const POLL_MS = 1000, HISTORY_S = 300;
const colours = ["#2563eb", "#0f7b3f", "#b45309", "#7c3aed", "#be123c", "#0e7490"];
const throughput = new Map(); // tunnel → [{t, rate}] samples of its bytes per second, for the graph
let timer = null;

function token() { return sessionStorage.getItem("tunnelactors-admin-token"); }

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { Authorization: `Bearer ${token()}` }, cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || `${path} answered ${response.status}`), { status: response.status });
  return body;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "onclick") node.onclick = value; else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  for (n = Number(n) || 0; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
const rate = (n) => `${bytes(n)}/s`;
const shortNode = (address) => (address || "").replace(/^akka(\.ssl)?\.tcp:\/\/[^@]+@/, "");
const age = (s) => s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;

function table(className, headings, rows) {
  return element("table", { class: className },
    element("thead", {}, element("tr", {}, ...headings.map((h) => element("th", {}, h)))),
    element("tbody", {}, ...rows));
}

function connectionRow(c) {
  return element("tr", { "data-connection": c.id },
    element("td", {}, c.id), element("td", {}, c.replica), element("td", {}, shortNode(c.edge_node)), element("td", {}, c.remote ?? ""),
    element("td", {}, c.unresponsive ? "unresponsive" : age(c.age_seconds)),
    element("td", {}, c.ping_rtt_ms == null ? "–" : `${c.ping_rtt_ms.toFixed(2)} ms`),
    element("td", {}, (c.streams || []).length),
    element("td", {}, element("button", { "data-close": c.id, onclick: () => closeConnection(c.id) }, "close")));
}

// Streams come from the stream actors (/api/streams), cluster-wide: a client's stream, and where it was
// relayed to the edge holding the connection, the relayed half there too.
function streamRow(s) {
  return element("tr", { "data-stream": `${s.connectionId}/${s.streamId}`, "data-stream-id": s.streamId },
    element("td", {}, s.streamId), element("td", {}, s.kind), element("td", {}, s.identity), element("td", {}, s.credential),
    element("td", {}, s.hostname), element("td", {}, shortNode(s.node)),
    element("td", {}, bytes(s.bytesToOrigin)), element("td", {}, bytes(s.bytesToClient)),
    element("td", {}, rate(s.rateToOrigin)), element("td", {}, rate(s.rateToClient)),
    element("td", {}, age(s.ageSeconds)), element("td", {}, s.connectionId),
    element("td", {}, element("button", { "data-close-stream": s.streamId, onclick: () => closeStream(s.streamId) }, "close")));
}

function tunnelCard(tunnel, allStreams) {
  const streams = allStreams.filter((s) => s.tunnelId === tunnel.tunnel);
  const replicas = new Set(tunnel.connections.map((c) => c.replica)).size;
  const nodes = new Set(tunnel.connections.map((c) => c.edge_node)).size;
  const health = tunnel.healthy ? "healthy" : "down";
  return element("div", { class: "tunnel", "data-tunnel": tunnel.tunnel },
    element("h3", {}, tunnel.tunnel,
      element("span", { class: `badge ${health}`, "data-health": health }, health),
      element("span", { class: "muted" },
        `${tunnel.connections.length} connections · ${replicas} replicas · ${nodes} edge nodes · ${streams.filter((s) => s.kind === "client").length} streams`)),
    table("connections", ["connection", "replica", "edge node", "remote", "age", "ping", "streams", ""], tunnel.connections.map(connectionRow)),
    streams.length === 0
      ? element("p", { class: "muted" }, "no open streams")
      : table("streams", ["stream", "kind", "identity", "credential", "target", "edge node", "to origin", "to client", "rate up", "rate down", "age", "connection", ""],
        streams.map(streamRow)));
}

function renderSessions(sessions) {
  const time = (t) => t ? new Date(t).toLocaleString() : "–";
  $("#sessions tbody").replaceChildren(...sessions.map((s) => element("tr", { "data-session": s.id },
    element("td", {}, s.id), element("td", {}, s.identity), element("td", {}, s.application), element("td", {}, s.loginMethod),
    element("td", {}, s.source), element("td", {}, time(s.issuedAt)), element("td", {}, time(s.expiresAt)), element("td", {}, time(s.lastUsedAt)),
    element("td", {}, element("button", { "data-revoke-session": s.id, onclick: () => revokeSession(s) }, "revoke")))));
}

function renderTunnels(tunnels, streams) {
  $("#tunnels").replaceChildren(...(tunnels.length === 0
    ? [element("p", { class: "muted" }, "no tunnel has a connector yet")]
    : tunnels.map((t) => tunnelCard(t, streams))));
}

function recordThroughput(tunnels, streams) {
  const now = Date.now() / 1000;
  for (const tunnel of tunnels) {
    // Each stream once: its client half (a relayed half carries the same bytes on another edge).
    const total = streams.filter((s) => s.tunnelId === tunnel.tunnel && s.kind === "client")
      .reduce((sum, s) => sum + (s.rateToOrigin || 0) + (s.rateToClient || 0), 0);
    const samples = throughput.get(tunnel.tunnel) || [];
    samples.push({ t: now, rate: total });
    throughput.set(tunnel.tunnel, samples.filter((p) => now - p.t <= HISTORY_S));
  }
}

function drawGraph() {
  const canvas = $("#graph"), g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, now = Date.now() / 1000;
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...[...throughput.values()].flat().map((p) => p.rate));
  g.fillStyle = "#6b7280"; g.font = "11px system-ui";
  g.fillText(rate(max), 4, 12); g.fillText("0", 4, h - 4); g.fillText("-5 min", 40, h - 4); g.fillText("now", w - 28, h - 4);
  const legend = [];
  [...throughput.entries()].forEach(([name, samples], i) => {
    const colour = colours[i % colours.length];
    g.strokeStyle = colour; g.lineWidth = 2; g.beginPath();
    samples.forEach((p, j) => {
      const x = w - ((now - p.t) / HISTORY_S) * w, y = h - 16 - (p.rate / max) * (h - 32);
      if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    const swatch = element("i");
    swatch.style.background = colour; // CSSOM, not a style attribute: the CSP allows no inline styles
    legend.push(element("span", {}, swatch, `${name} ${rate(samples.at(-1)?.rate || 0)}`));
  });
  $("#legend").replaceChildren(...legend);
}

function renderCluster(cluster) {
  $("#members tbody").replaceChildren(...cluster.members.map((m) => element("tr", { "data-member": m.address },
    element("td", {}, shortNode(m.address) + (m.address === cluster.self ? " (this edge)" : "") + (m.address === cluster.leader ? " · leader" : "")),
    element("td", {}, m.status), element("td", {}, m.reachable ? "yes" : "NO"), element("td", {}, m.tunnels.join(", ")))));
}

function renderDecisions(events) {
  $("#decisions tbody").replaceChildren(...events.map((e) => element("tr", { "data-decision": e.id },
    element("td", {}, new Date(e.time).toLocaleTimeString()),
    element("td", { class: e.allowed ? "allow" : "deny" }, e.allowed ? "allow" : "deny"),
    element("td", {}, e.identity), element("td", {}, e.application ?? ""), element("td", {}, e.policy ?? e.detail ?? ""), element("td", {}, e.sourceIp ?? ""))));
}

async function closeConnection(id) {
  if (!confirm(`Close connection ${id}? Its connector reconnects; streams on it end.`)) return;
  try { await api(`/api/connections/${encodeURIComponent(id)}/close?reason=closed%20from%20the%20dashboard`, { method: "POST" }); }
  catch (error) { $("#status").textContent = error.message; }
  refresh();
}

async function closeStream(id) {
  if (!confirm(`Close stream ${id}? Its client sees the connection end.`)) return;
  try { await api(`/api/streams/${encodeURIComponent(id)}/close?reason=closed%20from%20the%20dashboard`, { method: "POST" }); }
  catch (error) { $("#status").textContent = error.message; }
  refresh();
}

async function revokeSession(session) {
  if (!confirm(`Revoke the session of ${session.identity} for ${session.application}? Its token is refused and its streams end on every edge.`)) return;
  try { await api(`/api/sessions/${encodeURIComponent(session.id)}/revoke?reason=revoked%20from%20the%20dashboard`, { method: "POST" }); }
  catch (error) { $("#status").textContent = error.message; }
  refresh();
}

async function refresh() {
  try {
    const [tunnels, streams, cluster, audit, sessions] = await Promise.all([api("/api/tunnels"), api("/api/streams"), api("/api/cluster"),
      api("/api/audit?kind=access_decision&limit=15"), api("/api/sessions?limit=50")]);
    renderTunnels(tunnels.tunnels, streams.streams);
    recordThroughput(tunnels.tunnels, streams.streams);
    renderSessions(sessions.sessions);
    drawGraph();
    renderCluster(cluster);
    renderDecisions(audit.events);
    $("#status").textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    $("#status").dataset.state = "live";
  } catch (error) {
    if (error.status === 401) { signOut(error.message); return; }
    $("#status").textContent = `cannot reach the admin API: ${error.message}`;
    $("#status").dataset.state = "error";
  }
}

function signOut(message) {
  clearInterval(timer);
  sessionStorage.removeItem("tunnelactors-admin-token");
  $("#app").hidden = true; $("#signin").hidden = false;
  $("#signin-error").textContent = message || "";
}

function start() {
  $("#signin").hidden = true; $("#app").hidden = false;
  refresh();
  timer = setInterval(refresh, POLL_MS);
}

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("tunnelactors-admin-token", $("#token").value.trim());
  start();
});

if (token()) start(); else signOut();
