// Delivery: DORA figures with their bands and linkage coverage, the weekly trend, lead time by
// stage, merged pull requests, the executive summary and the portfolio, from /api/v1/delivery;
// the figures follow the `delivery.dora` channel.
import { api, barChart, byId, el, fill, format, kpis, latestOnly, live, show, showProblem, startPage,
  table, timeChart } from "../../kit.js";

const BASE = "/api/v1/delivery";
const YEARS = ["2021", "2023", "2024"];
const BAND_METRICS = [["deployment_frequency", "Deployment frequency"], ["lead_time", "Lead time"],
  ["change_failure_rate", "Change failure rate"], ["recovery", "Recovery"], ["overall", "Overall"]];
const BAND_STATUS = { elite: "status-ok", high: "status-ok", medium: "status-warning", low: "status-bad" };

const days = () => Number(byId("delivery-days").value);
const hours = (seconds) => (seconds === null || seconds === undefined ? null : seconds / 3600);

/** A duration in the unit that reads best: minutes, hours or days. */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 7200) return `${format.number(seconds / 60, 0)} min`;
  if (seconds < 172800) return `${format.number(seconds / 3600, 1)} h`;
  return `${format.number(seconds / 86400, 1)} days`;
}

function band(name) {
  return name ? el("span", { class: BAND_STATUS[name] }, name) : "–";
}

let shownAsOf = null;
function renderDora(d) {
  shownAsOf = d.data_as_of;
  byId("delivery-as-of").textContent = d.data_as_of
    ? `${format.dateOnly(d.window.from)} – ${format.dateOnly(d.window.to)} · data as of ${format.dateTime(d.data_as_of)}`
    : "No delivery data yet";
  const f = d.deployment_frequency;
  show(byId("dora-kpis"), kpis([
    { key: "deployments", label: "Deployments", raw: f.deployments, text: format.integer(f.deployments) },
    { key: "deployment_frequency", label: "Deployments per day", raw: f.per_day, text: format.number(f.per_day, 2) },
    { key: "deployment_days", label: "Deployment days per week", raw: f.deployment_days_per_week ?? "",
      text: format.number(f.deployment_days_per_week, 1) },
    { key: "lead_time", label: "Lead time p50", raw: d.lead_time.p50_seconds ?? "", text: duration(d.lead_time.p50_seconds) },
    { key: "lead_time_p90", label: "Lead time p90", raw: d.lead_time.p90_seconds ?? "", text: duration(d.lead_time.p90_seconds) },
    { key: "change_failure_rate", label: "Change failure rate", raw: d.change_failure_rate.rate ?? "",
      text: format.percent(d.change_failure_rate.rate) },
    { key: "recovery", label: "Failed deployment recovery p50", raw: d.failed_deployment_recovery_time.p50_seconds ?? "",
      text: duration(d.failed_deployment_recovery_time.p50_seconds) },
    { key: "mttr", label: "MTTR p50", raw: d.mttr.p50_seconds ?? "", text: duration(d.mttr.p50_seconds) },
    { key: "rework_rate", label: "Rework rate", raw: d.rework_rate.rate ?? "", text: format.percent(d.rework_rate.rate) },
  ]));
  show(byId("dora-bands"), table([
    { label: "Metric", value: (m) => m[1] },
    ...YEARS.map((year) => ({ label: `DORA ${year}`, value: (m) => band(d.bands[year][m[0]]) })),
  ], BAND_METRICS, { caption: "Band of each figure in the 2021, 2023 and 2024 reports" }));
  const c = d.coverage;
  show(byId("dora-coverage"), table([
    { label: "Records", value: (r) => r.label },
    { label: "Linked", numeric: true, value: (r) => format.integer(r.linked) },
    { label: "Of", numeric: true, value: (r) => format.integer(r.total) },
    { label: "Share", numeric: true, value: (r) => (r.pct === null ? "–" : format.percent(r.pct / 100)) },
  ], [
    { label: "Merged pull requests shipped by a deployment", linked: c.pull_requests_linked, total: c.pull_requests_merged, pct: c.pull_requests_linked_pct },
    { label: "Incidents attributed to a deployment", linked: c.incidents_attributed, total: c.incidents, pct: c.incidents_attributed_pct },
  ], { caption: "Records the figures could link" }));
  const stages = d.lead_time.breakdown;
  barChart(byId("stages"), { title: "Median hours per stage of the lead time", labelHeader: "Stage", valueLabel: "Hours (p50)",
    rows: d.lead_time.count ? [["Coding", stages.coding], ["Pickup", stages.pickup], ["Review", stages.review], ["Deploy", stages.deploy]]
      .filter(([, s]) => s.p50_seconds !== null).map(([label, s]) => ({ label, value: hours(s.p50_seconds) })) : [],
    format: (v) => format.number(v, 1) });
}

const loadDora = latestOnly(async (current) => {
  const answer = await api(`${BASE}/dora`, { query: { days: days() } });
  if (current()) renderDora(answer);
});

let trendChart = null;
let ratesChart = null;
const loadTrend = latestOnly(async (current) => {
  const answer = await api(`${BASE}/dora/trend`, { query: { days: days(), granularity: "week" } });
  if (!current()) return;
  const points = answer.data_as_of ? answer.points : [];
  const times = points.map((p) => Date.parse(p.start) / 1000);
  const xFormat = (t) => format.dateOnly(new Date(t * 1000).toISOString());
  trendChart ??= timeChart(byId("trend-chart"), { title: "Deployments per day and lead time by week", xLabel: "Week from",
    xFormat, format: (v) => format.number(v, 2),
    series: [{ label: "Deployments per day" }, { label: "Lead time p50 (hours)", format: (v) => format.number(v, 1), right: true }] });
  trendChart.update(times, [points.map((p) => p.per_day), points.map((p) => hours(p.lead_time_p50_seconds))]);
  ratesChart ??= timeChart(byId("trend-rates"), { title: "Change failure and rework rate by week", xLabel: "Week from",
    xFormat, format: (v) => format.percent(v, 0), series: [{ label: "Change failure rate" }, { label: "Rework rate" }] });
  ratesChart.update(times, [points.map((p) => p.change_failure_rate), points.map((p) => p.rework_rate)]);
});

// Keyset pages: the cursors of the pages seen so far make "previous" possible.
const pullPages = { cursors: [null], index: 0 };
const loadPulls = latestOnly(async (current) => {
  const cursor = pullPages.cursors[pullPages.index];
  const answer = await api(`${BASE}/pulls`, { query: { days: days(), limit: 20, cursor } });
  if (!current()) return null; // fill() keeps what the later call shows
  pullPages.cursors[pullPages.index + 1] = answer.pagination.next_cursor;
  byId("pulls-previous").disabled = pullPages.index === 0;
  byId("pulls-next").disabled = !answer.pagination.next_cursor;
  byId("pulls-page").textContent = `Page ${pullPages.index + 1}`;
  const s = answer.summary;
  show(byId("pulls-summary"), kpis([
    { key: "merged", label: "Merged", raw: s.merged, text: format.integer(s.merged) },
    { key: "throughput", label: "Merged per week", raw: s.throughput_per_week, text: format.number(s.throughput_per_week, 1) },
    { key: "cycle_time", label: "Cycle time p50", raw: s.cycle_time_p50_seconds ?? "", text: duration(s.cycle_time_p50_seconds) },
    { key: "coding", label: "Coding p50", raw: s.coding_p50_seconds ?? "", text: duration(s.coding_p50_seconds) },
    { key: "pickup", label: "Pickup p50", raw: s.first_review_latency_p50_seconds ?? "", text: duration(s.first_review_latency_p50_seconds) },
    { key: "review", label: "Review p50", raw: s.review_time_p50_seconds ?? "", text: duration(s.review_time_p50_seconds) },
    { key: "reviews", label: "Reviews per pull request", raw: s.reviews_per_pull_request ?? "", text: format.number(s.reviews_per_pull_request, 1) },
    { key: "pull_rework", label: "Reworked", raw: s.rework_rate ?? "", text: format.percent(s.rework_rate) },
  ]));
  return table([
    { label: "Repository", value: (p) => p.repository },
    { label: "Number", numeric: true, value: (p) => `#${p.number}` },
    { label: "Title", value: (p) => p.title },
    { label: "Author", value: (p) => p.author || "–" },
    { label: "Merged", value: (p) => format.dateTime(p.merged_at) },
    { label: "Size", value: (p) => p.size.toUpperCase() },
    { label: "Lines", numeric: true, value: (p) => format.integer(p.lines_changed) },
    { label: "Cycle time", numeric: true, value: (p) => duration(p.cycle_seconds) },
    { label: "Pickup", numeric: true, value: (p) => duration(p.first_review_latency_seconds) },
    { label: "Review", numeric: true, value: (p) => duration(p.review_seconds) },
    { label: "Reviews", numeric: true, value: (p) => format.integer(p.reviews) },
    { label: "Deployed", value: (p) => (p.deployed ? "yes" : "no") },
  ], answer.data, { caption: "Newest first", empty: "No pull request was merged in this window." });
});

const TREND_TEXT = { better: "better", worse: "worse", flat: "unchanged", unknown: "no comparison" };
const STATUS_CLASS = { good: "status-ok", warn: "status-warning", bad: "status-bad" };

function kpiValue(k, value) {
  if (k.unit === "seconds") return duration(value);
  if (k.unit === "ratio") return format.percent(value);
  return `${format.number(value, 2)} ${k.unit === "deployments/day" ? "per day" : k.unit}`;
}

const loadExecutive = latestOnly(async (current) => {
  const answer = await api(`${BASE}/executive`, { query: { days: days() } });
  if (!current()) return null; // fill() keeps what the later call shows
  byId("executive-window").textContent = `Compared with ${format.dateOnly(answer.previous_window.from)} – `
    + `${format.dateOnly(answer.previous_window.to)}; status from the 2024 bands.`;
  show(byId("risks"), answer.risks.length
    ? el("ul", {}, answer.risks.map((r) => el("li", {}, el("strong", {}, r.title), ": ", r.detail)))
    : el("p", { class: "empty" }, "No risk in this window."));
  return table([
    { label: "Figure", value: (k) => k.name },
    { label: "Value", numeric: true, value: (k) => kpiValue(k, k.value) },
    { label: "Status", value: (k) => el("span", { class: STATUS_CLASS[k.status] }, k.status) },
    { label: "Trend", value: (k) => TREND_TEXT[k.trend] },
    { label: "Window before", numeric: true, value: (k) => kpiValue(k, k.previous) },
  ], answer.kpis, { caption: "Key figures against the window before" });
});

function rollupTable(rows, caption) {
  return table([
    { label: "Name", value: (r) => r.name },
    { label: "Deployments", numeric: true, value: (r) => format.integer(r.deployments) },
    { label: "Per day", numeric: true, value: (r) => format.number(r.deployments_per_day, 2) },
    { label: "Lead time p50", numeric: true, value: (r) => duration(r.lead_time_p50_seconds) },
    { label: "Change failure rate", numeric: true, value: (r) => format.percent(r.change_failure_rate) },
    { label: "Recovery p50", numeric: true, value: (r) => duration(r.failed_deployment_recovery_p50_seconds) },
    { label: "Rework rate", numeric: true, value: (r) => format.percent(r.rework_rate) },
    { label: "Linked pull requests", numeric: true,
      value: (r) => (r.pull_requests_linked_pct === null ? "–" : format.percent(r.pull_requests_linked_pct / 100)) },
    { label: "Band 2024", value: (r) => band(r.band_2024) },
  ], rows, { caption, empty: "No ownership is set for this window." });
}

const loadPortfolio = latestOnly(async (current) => {
  const answer = await api(`${BASE}/portfolio`, { query: { days: days() } });
  if (!current()) return;
  show(byId("portfolio-teams"), rollupTable(answer.teams, "DORA figures per team"));
  show(byId("portfolio-projects"), rollupTable(answer.projects, "DORA figures per project"));
});

const reloadPulls = () => fill(byId("pulls"), loadPulls);

function loadWindowed() {
  pullPages.cursors = [null];
  pullPages.index = 0;
  return Promise.all([
    loadDora().catch((e) => showProblem(byId("dora-kpis"), e)),
    loadTrend().catch((e) => showProblem(byId("trend-chart"), e)),
    reloadPulls(),
    fill(byId("executive"), loadExecutive),
    loadPortfolio().catch((e) => showProblem(byId("portfolio-teams"), e)),
  ]);
}

// The channel carries the figures of the server's default window; they replace the page's
// figures when the page shows a window of the same length, and the rest follows over REST.
let followUp = null;
function onFigures(figures) {
  const span = Math.round((Date.parse(figures.window.to) - Date.parse(figures.window.from)) / 86400000);
  if (span !== days() || figures.data_as_of === shownAsOf) return;
  renderDora(figures);
  clearTimeout(followUp);
  followUp = setTimeout(() => Promise.all([
    loadTrend().catch((e) => showProblem(byId("trend-chart"), e)), reloadPulls(),
    fill(byId("executive"), loadExecutive), loadPortfolio().catch((e) => showProblem(byId("portfolio-teams"), e)),
  ]), 2000);
}

startPage(async () => {
  byId("delivery-days").addEventListener("change", loadWindowed);
  byId("pulls-next").addEventListener("click", () => { pullPages.index += 1; reloadPulls(); });
  byId("pulls-previous").addEventListener("click", () => { pullPages.index -= 1; reloadPulls(); });
  await loadWindowed();
  live().subscribe("delivery.dora", onFigures, () => loadDora().catch((e) => showProblem(byId("dora-kpis"), e)));
});
