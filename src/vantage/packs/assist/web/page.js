// Assist: a SQL console (validate, run, healing suggestions), similar items by kind, story point
// estimates and ML monitoring (performance, drift, anomalies, the tenant's similarity index),
// from /api/v1/ai, /api/v1/search and /api/v1/ml.
import { api, barChart, byId, el, emptyState, fill, format, kpis, latestOnly, show, showProblem,
  startPage, table } from "../../kit.js";

const STATUS_CLASS = { error: "status-bad", warning: "status-warning" };
const PSI_SHIFT = 0.25;

const sql = () => byId("sql-text").value;
const dialect = () => byId("sql-dialect").value || undefined;
const mlDays = () => byId("ml-days").value;
const status = (text) => { byId("sql-status").textContent = text; };

function findingsTable(findings) {
  return table([
    { label: "Line", numeric: true, value: (f) => format.integer(f.line) },
    { label: "Column", numeric: true, value: (f) => format.integer(f.column) },
    { label: "Severity", value: (f) => el("span", { class: STATUS_CLASS[f.severity] }, f.severity) },
    { label: "Code", value: (f) => el("code", {}, f.code) },
    { label: "Message", value: (f) => f.message },
    { label: "Did you mean", value: (f) => f.suggestions.join(", ") || "–" },
  ], findings, { caption: "Findings", empty: "No finding." });
}

/** Empties what an earlier Validate, Run or Suggest fixes showed: it may be of another query. */
function clearConsole() {
  for (const id of ["sql-findings", "sql-suggestions", "sql-result"]) show(byId(id), null);
}

async function validate() {
  clearConsole();
  const answer = await api(`/api/v1/ai/validate/${byId("sql-level").value}`, { method: "POST", body: { sql: sql(), dialect: dialect() } });
  status(answer.valid ? `Valid (${answer.dialect}).` : `Not valid (${answer.dialect}): ${format.integer(answer.findings.length)} finding${answer.findings.length === 1 ? "" : "s"}.`);
  show(byId("sql-findings"), answer.findings.length ? findingsTable(answer.findings) : null);
  return answer;
}

function cell(value) {
  if (value === null) return "NULL";
  if (typeof value === "number") return format.number(value, 6);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

async function run() {
  const check = await validate();
  if (!check.valid) return;
  const answer = await api("/api/v1/ai/query", { method: "POST", body: { sql: sql() } });
  status(`${format.integer(answer.row_count)} rows in ${format.number(answer.elapsed_ms, 1)} ms`
    + (answer.truncated ? "; truncated: more rows matched than were returned." : "."));
  show(byId("sql-findings"), answer.warnings.length ? findingsTable(answer.warnings) : null);
  show(byId("sql-result"), [
    el("p", { class: "muted", "data-truncated": String(answer.truncated) },
      answer.truncated ? "Truncated: only the first rows are shown." : "Every matching row is shown."),
    table(answer.columns.map((name, i) => ({ label: name, value: (row) => cell(row[i]),
      numeric: answer.rows.some((row) => typeof row[i] === "number") })), answer.rows,
    { caption: "Query result", empty: "The query matched no row." }),
  ]);
}

/** The query on one line (a query parameter takes no line breaks); line comments become block comments. */
function oneLine(text) {
  return text.replace(/--([^\n]*)/g, (_, comment) => `/*${comment.replaceAll("*/", "* /")} */`).replace(/\s+/g, " ").trim();
}

async function heal() {
  clearConsole();
  const answer = await api("/api/v1/ai/learning/healing-suggestions", { query: { sql: oneLine(sql()), dialect: dialect() } });
  status(answer.valid ? "The query already validates." : `${format.integer(answer.suggestions.length)} suggested fixes.`);
  show(byId("sql-suggestions"), answer.suggestions.length
    ? el("ol", { class: "stack" }, answer.suggestions.map((s, i) => el("li", {},
      el("pre", {}, el("code", {}, s.sql)),
      el("span", { class: "muted" }, s.source === "memory" ? "From a remembered fix. " : "",
        s.repairs.map((r) => r.description).join("; ")),
      " ",
      el("button", { type: "button", class: "button", "aria-label": `Use suggestion ${i + 1}`,
        onclick: () => { byId("sql-text").value = s.sql; show(byId("sql-suggestions"), null); status("Suggestion copied into the editor."); } },
      "Use this"))))
    : answer.valid ? null : emptyState("No repair found for this query."));
}

async function search() {
  const kind = byId("search-kind").value;
  const answer = await api("/api/v1/search/similar", { method: "POST",
    body: { text: byId("search-text").value, k: 10, kinds: kind ? [kind] : undefined } });
  show(byId("search-results"), table([
    { label: "Kind", value: (h) => h.kind.replaceAll("_", " ") },
    { label: "Item", value: (h) => (h.kind === "learning_memory" ? h.question : `${h.repository}#${h.number} ${h.title}`) },
    { label: "State", value: (h) => h.state ?? h.outcome ?? "–" },
    { label: "Points", numeric: true, value: (h) => (h.story_points === null ? "–" : format.number(h.story_points, 1)) },
    { label: "Similarity", numeric: true, value: (h) => format.number(h.score, 3) },
  ], answer.results, { caption: "Nearest items", empty: "Nothing similar found." }));
}

async function estimatePoints() {
  const answer = await api("/api/v1/ai/estimate/story-points", { method: "POST",
    body: { title: byId("estimate-item").value, body: byId("estimate-body").value } });
  byId("estimate-status").textContent = answer.story_points === null ? `No estimate: ${answer.reason}.`
    : `About ${format.number(answer.story_points, 1)} points. Leave-one-out mean absolute error `
      + `${answer.loo_mae === null ? "–" : format.number(answer.loo_mae, 2)} over ${format.integer(answer.n)} finished items.`;
  show(byId("estimate-neighbours"), answer.neighbours.length ? table([
    { label: "Work item", value: (n) => `${n.repository}#${n.number} ${n.title}` },
    { label: "Similarity", numeric: true, value: (n) => format.number(n.similarity, 3) },
    { label: "Points", numeric: true, value: (n) => format.number(n.story_points, 1) },
  ], answer.neighbours, { caption: "Nearest finished work items" }) : null);
}

function guarded(action, button, target = "sql-result") {
  return async () => {
    byId(button).disabled = true;
    try {
      await action();
    } catch (error) {
      // A query refused by the full checks (Run after a syntax-level Validate) says why.
      const findings = error.findings || [];
      status(findings.length ? `Not valid: ${format.integer(findings.length)} finding${findings.length === 1 ? "" : "s"}.` : "");
      showProblem(byId(target), error);
      if (findings.length) show(byId("sql-findings"), findingsTable(findings));
    } finally {
      byId(button).disabled = false;
    }
  };
}

let performance = null;

function renderDrift() {
  const model = performance?.models.find((m) => m.model === byId("drift-model").value);
  barChart(byId("drift"), { title: `Drift of ${model ? model.model : "the model"}'s features (PSI)`, labelHeader: "Feature",
    valueLabel: "PSI", format: (v) => format.number(v, 3),
    rows: (model?.drift || []).filter((f) => f.psi !== null).map((f) => ({ label: f.feature, value: f.psi })) });
}

const loadPerformance = latestOnly(async (current) => {
  const answer = await api("/api/v1/ml/performance", { query: { days: mlDays() } });
  if (!current()) return null; // fill() keeps what the later call shows
  performance = answer;
  byId("performance-window").textContent = `${format.dateOnly(performance.window.from)} – ${format.dateOnly(performance.window.to)};`
    + ` drift against ${format.dateOnly(performance.baseline.from)} – ${format.dateOnly(performance.baseline.to)}.`;
  const picker = byId("drift-model");
  const chosen = picker.value;
  picker.replaceChildren(...performance.models.map((m) => el("option", { value: m.model }, m.model)));
  if (performance.models.some((m) => m.model === chosen)) picker.value = chosen;
  renderDrift();
  return table([
    { label: "Model", value: (m) => m.model },
    { label: "Predictions", numeric: true, value: (m) => format.integer(m.predictions) },
    { label: "Error rate", numeric: true, value: (m) => format.percent(m.error_rate) },
    { label: "Latency p50 (ms)", numeric: true, value: (m) => format.number(m.latency_ms.p50, 1) },
    { label: "Latency p95 (ms)", numeric: true, value: (m) => format.number(m.latency_ms.p95, 1) },
    { label: "With outcome", numeric: true, value: (m) => format.integer(m.with_outcome) },
    { label: "Accuracy", numeric: true, value: (m) => format.percent(m.accuracy) },
    { label: "Precision", numeric: true, value: (m) => format.percent(m.precision) },
    { label: "Recall", numeric: true, value: (m) => format.percent(m.recall) },
    { label: "MAE", numeric: true, value: (m) => format.number(m.mae, 2) },
    { label: "RMSE", numeric: true, value: (m) => format.number(m.rmse, 2) },
    { label: "Shifted features", numeric: true, value: (m) => format.integer(m.drift.filter((f) => f.psi > PSI_SHIFT).length) },
  ], performance.models, { caption: "Quality and latency per model", empty: "No prediction in this window." });
});

const loadAnomalies = latestOnly(async (current) => {
  const answer = await api("/api/v1/ml/anomalies", { query: { days: Math.max(14, Number(mlDays())) } });
  if (!current()) return null;
  const label = (a) => `${a.model} · ${a.metric.replaceAll("_", " ")} · ${format.dateOnly(a.day)}`;
  barChart(byId("anomaly-chart"), { title: "Robust z of each anomalous day", labelHeader: "Model, metric and day",
    valueLabel: "Robust z", format: (v) => format.number(v, 1),
    rows: answer.anomalies.filter((a) => a.robust_z !== null).map((a) => ({ label: label(a), value: a.robust_z })) });
  show(byId("anomalies"), table([
    { label: "Day", value: (a) => format.dateOnly(a.day) },
    { label: "Model", value: (a) => a.model },
    { label: "Metric", value: (a) => a.metric.replaceAll("_", " ") },
    { label: "Value", numeric: true, value: (a) => format.number(a.value, 3) },
    { label: "Baseline median", numeric: true, value: (a) => format.number(a.baseline_median, 3) },
    { label: "Robust z", numeric: true, value: (a) => (a.robust_z === null ? "no spread" : format.number(a.robust_z, 1)) },
    { label: "Direction", value: (a) => a.direction },
  ], answer.anomalies, { caption: `${format.integer(answer.series_checked)} daily series checked`, empty: "No anomaly in this window." }));
  return answer;
});

const loadMl = latestOnly(async (current) => {
  const [index, , anomalies] = await Promise.all([
    api("/api/v1/search/index"),
    fill(byId("performance"), loadPerformance),
    loadAnomalies().catch((e) => { showProblem(byId("anomalies"), e); return null; }),
  ]);
  if (!current()) return;
  const predictions = performance ? performance.models.reduce((sum, m) => sum + m.predictions, 0) : null;
  // One bad day is often anomalous in several models and metrics at once: count the days.
  const days = anomalies ? new Set(anomalies.anomalies.map((a) => a.day)).size : null;
  show(byId("ml-kpis"), kpis([
    { key: "models", label: "Models", raw: performance?.models.length ?? "", text: format.integer(performance?.models.length) },
    { key: "predictions", label: "Predictions", raw: predictions ?? "", text: format.integer(predictions) },
    { key: "anomalous_days", label: "Anomalous days", raw: days ?? "", text: format.integer(days) },
    { key: "anomalies", label: "Anomalies (model, metric, day)", raw: anomalies?.anomalies.length ?? "", text: format.integer(anomalies?.anomalies.length) },
    { key: "index_state", label: "Similarity index", raw: index.index_state, text: `${index.backend} · ${index.index_state}` },
    { key: "items_indexed", label: "Items indexed", raw: index.items_indexed, text: format.integer(index.items_indexed) },
    { key: "embedder", label: "Embedding model", raw: index.model, text: `${index.model} (${format.integer(index.dimension)})` },
  ]));
});

const CONSOLE_BUTTONS = ["sql-validate", "sql-run", "sql-heal"];

/** The console's routes need the analyze scope: without it every button would end in a 403,
 * so they are disabled and the note says why. */
function lockConsole() {
  for (const id of CONSOLE_BUTTONS) {
    byId(id).disabled = true;
    byId(id).setAttribute("aria-describedby", "sql-scope-note");
  }
  byId("sql-scope-note").hidden = false;
}

startPage(async ({ me }) => {
  const mayAnalyze = me.scopes.includes("analyze");
  byId("sql-form").addEventListener("submit", (event) => { event.preventDefault(); if (mayAnalyze) guarded(run, "sql-run")(); });
  byId("sql-validate").addEventListener("click", guarded(validate, "sql-validate"));
  byId("sql-heal").addEventListener("click", guarded(heal, "sql-heal"));
  byId("search-form").addEventListener("submit", (event) => { event.preventDefault(); guarded(search, "search-run", "search-results")(); });
  byId("estimate-form").addEventListener("submit", (event) => { event.preventDefault(); guarded(estimatePoints, "estimate-run", "estimate-neighbours")(); });
  byId("drift-model").addEventListener("change", renderDrift);
  byId("ml-days").addEventListener("change", () => loadMl().catch((e) => showProblem(byId("ml-kpis"), e)));
  if (mayAnalyze) status("Write a query, then validate or run it.");
  else lockConsole();
  await loadMl();
});
