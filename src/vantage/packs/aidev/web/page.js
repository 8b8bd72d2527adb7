// AI-assisted development: the nine KPIs with status and trend (live from `aidev.metrics`), the
// daily series, sessions in keyset pages and the insights, from /api/v1/aidev.
import { api, byId, el, emptyState, fill, format, kpis, latestOnly, live, show, showProblem, startPage,
  table, timeChart } from "../../kit.js";

const BASE = "/api/v1/aidev";
const STATUS_CLASS = { good: "status-ok", warn: "status-warning", bad: "status-bad" };
const ARROWS = { up: "↑", down: "↓", flat: "→" };
const LIVE_DAYS = 7; // the channel carries the 7-day figures
const LISTED = 15; // recommendations, findings and anomalies shown: most severe, strongest or newest first
const SEVERITY_ORDER = { bad: 0, warn: 1, info: 2 };

const days = () => Number(byId("aidev-days").value);
const usd = (v) => format.money(v, "USD");
const dayFormat = (t) => format.dateOnly(new Date(t * 1000).toISOString().slice(0, 10));

function kpiText(k, value) {
  if (value === null || value === undefined) return "–";
  return k.unit === "ratio" ? format.percent(value) : format.number(value, 1);
}

function unitText(k) {
  return k.unit === "ratio" ? "" : k.unit;
}

function renderMetrics(m) {
  byId("aidev-as-of").textContent = `${format.integer(m.active_developers)} active developers · data as of ${format.dateTime(m.data_as_of)}`;
  show(byId("aidev-kpis"), kpis(m.kpis.map((k) => ({
    key: k.key, label: k.name, raw: k.value ?? "", className: STATUS_CLASS[k.status] || null,
    text: k.value === null ? k.status.replace("_", " ") : `${kpiText(k, k.value)} ${k.trend?.direction ? ARROWS[k.trend.direction] : ""}`.trim(),
  }))));
  show(byId("aidev-kpi-table"), table([
    { label: "KPI", value: (k) => k.name },
    { label: "Value", numeric: true, value: (k) => kpiText(k, k.value) },
    { label: "Unit", value: unitText },
    { label: "Status", value: (k) => el("span", { class: STATUS_CLASS[k.status] || null }, k.status.replace("_", " ")) },
    { label: "Window before", numeric: true, value: (k) => kpiText(k, k.trend?.previous) },
    { label: "Trend", value: (k) => (k.trend?.direction ? `${ARROWS[k.trend.direction]} ${k.trend.direction}` : "–") },
    { label: "Note", value: (k) => k.reason || (k.by_model ? k.by_model.map((b) => `${b.model} ${format.percent(b.value)}`).join(", ") : "") },
  ], m.kpis, { caption: `${format.dateOnly(m.window.from)} – ${format.dateOnly(m.window.to)} against the window before` }));
}

const loadMetrics = latestOnly(async (current) => {
  const answer = await api(`${BASE}/metrics`, { query: { days: days() } });
  if (current()) renderMetrics(answer);
});

let requestsChart = null;
let ratesChart = null;
const loadDaily = latestOnly(async (current) => {
  const answer = await api(`${BASE}/metrics/raw`, { query: { days: byId("daily-days").value } });
  if (!current()) return;
  const points = answer.withheld || !answer.days.some((d) => d.requests) ? [] : answer.days;
  const times = points.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
  requestsChart ??= timeChart(byId("daily-requests"), { title: "Requests and cost per day", xLabel: "Day", xFormat: dayFormat,
    format: format.integer, series: [{ label: "Requests" }, { label: "Cost", format: usd, right: true }] });
  requestsChart.update(times, [points.map((d) => d.requests), points.map((d) => Number(d.cost_usd))]);
  ratesChart ??= timeChart(byId("daily-rates"), { title: "Acceptance and error rate per day", xLabel: "Day", xFormat: dayFormat,
    format: (v) => format.percent(v, 0), series: [{ label: "Acceptance rate" }, { label: "Error rate" }] });
  ratesChart.update(times, [points.map((d) => d.acceptance_rate), points.map((d) => d.error_rate)]);
});

// Keyset pages: the cursors of the pages seen so far make "previous" possible.
const sessionPages = { cursors: [null], index: 0 };
async function loadSessions() {
  const cursor = sessionPages.cursors[sessionPages.index];
  const page = await api(`${BASE}/sessions`, { query: { sort: byId("sessions-sort").value, limit: 20, cursor } });
  sessionPages.cursors[sessionPages.index + 1] = page.pagination.next_cursor;
  byId("sessions-previous").disabled = sessionPages.index === 0;
  byId("sessions-next").disabled = !page.pagination.next_cursor;
  byId("sessions-page").textContent = `Page ${sessionPages.index + 1}`
    + (page.pagination.total ? ` of ${format.integer(Math.ceil(page.pagination.total / 20))}` : "");
  return table([
    { label: "Started", value: (s) => format.dateTime(s.started_at) },
    { label: "Developer", value: (s) => s.developer },
    { label: "Repository", value: (s) => s.repository || "–" },
    { label: "Minutes", numeric: true, value: (s) => format.number(s.duration_seconds / 60, 0) },
    { label: "Requests", numeric: true, value: (s) => format.integer(s.requests) },
    { label: "Failed", numeric: true, value: (s) => format.integer(s.failed) },
    { label: "Tokens", numeric: true, value: (s) => format.integer(s.tokens) },
    { label: "Cost", numeric: true, value: (s) => usd(s.cost_usd) },
    { label: "Models", value: (s) => s.models.join(", ") },
  ], page.data, { caption: "LLM sessions of developers", empty: "No session yet." });
}

// "15 of 136": how many rows a capped table shows of all there are.
const shownOf = (rows) => `${format.integer(Math.min(LISTED, rows.length))} of ${format.integer(rows.length)}`;

async function loadInsights() {
  const answer = await api(`${BASE}/insights`, { query: { days: 90 } });
  byId("insights-summary").textContent = answer.withheld ? (answer.reason || "Withheld for small teams.")
    : `${format.integer(answer.tests)} correlation tests over ${format.dateOnly(answer.window.from)} – `
      + `${format.dateOnly(answer.window.to)}, lags up to ${format.integer(answer.max_lag_days)} days; findings have q < 0.05.`;
  const advice = answer.recommendations.slice().sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  show(byId("recommendations"), advice.length
    ? [el("ul", {}, advice.slice(0, LISTED).map((r) => el("li", {},
      el("span", { class: STATUS_CLASS[r.severity] || null }, r.severity), " ", r.message))),
    advice.length > LISTED ? el("p", { class: "muted" }, `${format.integer(advice.length - LISTED)} more, of lower or equal severity.`) : null]
    : emptyState("No recommendation."));
  const anomalies = answer.anomalies.slice().sort((a, b) => b.date.localeCompare(a.date));
  show(byId("findings"), table([
    { label: "Usage", value: (c) => c.usage },
    { label: "Outcome", value: (c) => c.outcome.replaceAll("_", " ") },
    { label: "Lag (days)", numeric: true, value: (c) => format.integer(c.lag_days) },
    { label: "Method", value: (c) => c.method },
    { label: "n", numeric: true, value: (c) => format.integer(c.n) },
    { label: "r", numeric: true, value: (c) => format.number(c.r, 2) },
    { label: "q", numeric: true, value: (c) => format.number(c.q, 3) },
  ], answer.findings.slice(0, LISTED), { empty: "No significant correlation.",
    caption: `Significant lagged correlations, strongest first (${shownOf(answer.findings)})` }));
  show(byId("anomalies"), table([
    { label: "Day", value: (a) => format.dateOnly(a.date) },
    { label: "Series", value: (a) => a.series.replaceAll("_", " ") },
    { label: "Value", numeric: true, value: (a) => format.number(a.value, 3) },
    { label: "Weekday median", numeric: true, value: (a) => format.number(a.median, 3) },
    { label: "Robust z", numeric: true, value: (a) => format.number(a.robust_z, 1) },
    { label: "Kind", value: (a) => a.direction },
  ], anomalies.slice(0, LISTED), { empty: "No anomaly.",
    caption: `Days far from their weekday's median, newest first (${shownOf(anomalies)})` }));
}

const reloadSessions = () => fill(byId("sessions"), loadSessions);

startPage(async () => {
  byId("aidev-days").addEventListener("change", () => loadMetrics().catch((e) => showProblem(byId("aidev-kpis"), e)));
  byId("daily-days").addEventListener("change", () => loadDaily().catch((e) => showProblem(byId("daily-requests"), e)));
  byId("sessions-sort").addEventListener("change", () => {
    sessionPages.cursors = [null];
    sessionPages.index = 0;
    reloadSessions();
  });
  byId("sessions-next").addEventListener("click", () => { sessionPages.index += 1; reloadSessions(); });
  byId("sessions-previous").addEventListener("click", () => { sessionPages.index -= 1; reloadSessions(); });
  await Promise.all([
    loadMetrics().catch((e) => showProblem(byId("aidev-kpis"), e)),
    loadDaily().catch((e) => showProblem(byId("daily-requests"), e)),
    reloadSessions(),
    loadInsights().catch((e) => showProblem(byId("recommendations"), e)),
  ]);
  live().subscribe("aidev.metrics", (m) => { if (days() === LIVE_DAYS) renderMetrics(m); },
    () => loadMetrics().catch((e) => showProblem(byId("aidev-kpis"), e)));
});
