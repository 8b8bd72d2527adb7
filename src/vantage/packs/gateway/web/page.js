// LLM gateway: a streaming chat playground, usage and cost from /api/v1/usage/summary, and the
// specialists.
import { ApiError, api, apiFetch, barChart, byId, fill, format, kpis, latestOnly, show, showProblem,
  startPage, table, timeChart } from "../../kit.js";

const usd = (value) => format.money(value, "USD");
const preciseUsd = (value) => (value === null || value === undefined ? "–"
  : new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", maximumFractionDigits: 6 }).format(Number(value)));
let running = null;

/** Server-sent events from a fetch body: yields {event, data}. */
async function* sseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let event = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

function describeDone(done) {
  return `${format.integer(done.input_tokens)} input and ${format.integer(done.output_tokens)} output tokens · `
    + `cost ${preciseUsd(done.cost_usd)}${done.estimated ? " (estimated)" : ""} · ${format.integer(done.latency_ms)} ms`
    + ` · ${done.provider}/${done.model}`;
}

async function streamAnswer(specialist, message) {
  const output = byId("chat-output");
  const meta = byId("chat-meta");
  output.textContent = "";
  meta.textContent = "Streaming…";
  running = new AbortController();
  byId("chat-stop").disabled = false;
  byId("chat-send").disabled = true;
  try {
    const response = await apiFetch("/api/v1/chat/stream", { method: "POST", body: { specialist, message },
      headers: { Accept: "text/event-stream" }, signal: running.signal });
    for await (const { event, data } of sseEvents(response)) {
      if (event === "chunk") output.append(data.delta);
      else if (event === "done") meta.textContent = describeDone(data);
      else if (event === "error") throw new ApiError(data, data.status);
    }
  } catch (error) {
    if (error.name === "AbortError") meta.textContent = "Stopped.";
    else showProblem(meta, error);
  } finally {
    running = null;
    byId("chat-stop").disabled = true;
    byId("chat-send").disabled = false;
  }
}

async function loadSpecialists() {
  const page = await api("/api/v1/specialists", { query: { limit: 100 } });
  const picker = byId("chat-specialist");
  picker.replaceChildren(...page.data.filter((s) => s.active).map((s) => new Option(`${s.name} (${s.slug})`, s.slug)));
  return table([
    { label: "Name", value: (s) => s.name },
    { label: "Slug", value: (s) => s.slug },
    { label: "Provider", value: (s) => s.provider },
    { label: "Model", value: (s) => s.model },
    { label: "Fallbacks", value: (s) => s.fallbacks.join(", ") || "–" },
    { label: "Source", value: (s) => s.source },
    { label: "Description", value: (s) => s.description },
  ], page.data, { caption: "Specialists of this tenant", empty: "No specialists are configured." });
}

const summary = (groupBy) => api("/api/v1/usage/summary", { query: { days: byId("usage-days").value, group_by: groupBy } });
let dayChart = null;

const loadUsage = latestOnly(async (current) => {
  const [byDay, byModel, bySpecialist, byUser] = await Promise.all(["day", "model", "specialist", "user"].map(summary));
  if (!current()) return;
  const t = byDay.totals;
  show(byId("usage-kpis"), kpis([
    { key: "requests", label: "Requests", raw: t.requests, text: format.integer(t.requests) },
    { key: "errors", label: "Errors", raw: t.errors, text: format.integer(t.errors) },
    { key: "cost", label: "Cost", raw: t.cost_usd, text: usd(t.cost_usd) },
    { key: "input_tokens", label: "Input tokens", raw: t.input_tokens, text: format.compact(t.input_tokens) },
    { key: "output_tokens", label: "Output tokens", raw: t.output_tokens, text: format.compact(t.output_tokens) },
    { key: "latency", label: "Average latency (ms)", raw: t.avg_latency_ms, text: format.integer(t.avg_latency_ms) },
  ]));
  dayChart ??= timeChart(byId("usage-by-day"), { title: "Cost and requests", xLabel: "Day",
    xFormat: (s) => format.dateOnly(new Date(s * 1000).toISOString().slice(0, 10)), format: format.compact,
    axisFormat: usd,
    series: [{ label: "Cost (USD)", format: usd }, { label: "Requests", format: format.integer, right: true }] });
  dayChart.update(byDay.data.map((d) => Date.parse(`${d.key}T00:00:00Z`) / 1000),
    [byDay.data.map((d) => Number(d.cost_usd)), byDay.data.map((d) => d.requests)]);
  const bars = (id, title, answer, header, value, fmt) => barChart(byId(id), { title, labelHeader: header,
    valueLabel: title, rows: answer.data.map((d) => ({ label: d.key, value: value(d) }))
      .sort((a, b) => Number(b.value) - Number(a.value)).slice(0, 12), format: fmt });
  bars("usage-by-model", "Cost by model", byModel, "Model", (d) => d.cost_usd, usd);
  bars("usage-by-specialist", "Cost by specialist", bySpecialist, "Specialist", (d) => d.cost_usd, usd);
  bars("usage-by-user", "Requests by user", byUser, "User (hashed)", (d) => d.requests, format.integer);
});

startPage(async () => {
  byId("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const message = byId("chat-message").value.trim();
    if (message && !running) streamAnswer(byId("chat-specialist").value, message).then(() => loadUsage().catch(() => {}));
  });
  byId("chat-stop").addEventListener("click", () => running?.abort());
  byId("usage-days").addEventListener("change", () => loadUsage().catch((e) => showProblem(byId("usage-kpis"), e)));
  await Promise.all([fill(byId("specialists"), loadSpecialists),
    loadUsage().catch((e) => showProblem(byId("usage-kpis"), e))]);
});
