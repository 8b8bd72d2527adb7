// Trading: live market and P&L charts over `trading.metrics`, positions, execution quality,
// trades, system health and alerts, all from /api/v1/trading and the WebSocket.
import { api, byId, el, emptyState, fill, format, kpis, live, show, showProblem, startPage, table,
  timeChart } from "../../kit.js";

const BASE = "/api/v1/trading";
const HISTORY_POINTS = 600; // one minute at 10 Hz
const TRADES_SHOWN = 20;

const price = (v) => format.number(v, 4);
const pnl = (v) => format.fixed(v, 2);
const clock = (t) => format.time(new Date(t * 1000).toISOString());
const statusClass = (status) => `status-${status}`;

const history = { times: [], bySymbol: new Map(), byStrategy: new Map() };
let marketChart = null;
let pnlChart = null;
let pnlStrategies = null;
let slowRenderAt = 0;

function remember(series, key, value) {
  if (!series.has(key)) series.set(key, new Array(history.times.length - 1).fill(null));
  series.get(key).push(value);
}

function record(snapshot) {
  history.times.push(Date.parse(snapshot.ts) / 1000);
  for (const s of snapshot.market) remember(history.bySymbol, s.symbol, [s.bid, s.mid, s.ask]);
  for (const s of snapshot.strategies) remember(history.byStrategy, s.strategy, Number(s.daily_pnl));
  for (const series of [history.bySymbol, history.byStrategy]) {
    for (const values of series.values()) {
      while (values.length < history.times.length) values.push(null);
    }
  }
  if (history.times.length > HISTORY_POINTS) {
    history.times.shift();
    for (const series of [history.bySymbol, history.byStrategy]) for (const v of series.values()) v.shift();
  }
}

function renderKpis(snapshot) {
  const totals = snapshot.strategies.reduce((sum, s) => ({
    daily: sum.daily + Number(s.daily_pnl), realized: sum.realized + Number(s.realized_pnl),
    unrealized: sum.unrealized + Number(s.unrealized_pnl) }), { daily: 0, realized: 0, unrealized: 0 });
  const execution = snapshot.execution;
  show(byId("trading-kpis"), kpis([
    { key: "daily_pnl", label: "Daily P&L", raw: totals.daily, text: pnl(totals.daily) },
    { key: "realized_pnl", label: "Realized P&L", raw: totals.realized, text: pnl(totals.realized) },
    { key: "unrealized_pnl", label: "Unrealized P&L", raw: totals.unrealized, text: pnl(totals.unrealized) },
    { key: "orders", label: "Orders today", raw: execution.orders.submitted, text: format.integer(execution.orders.submitted) },
    { key: "fill_rate", label: "Fill rate", raw: execution.fill_rate ?? "", text: format.percent(execution.fill_rate) },
    { key: "slippage", label: "Slippage (bps)", raw: execution.slippage_bps ?? "", text: format.number(execution.slippage_bps, 2) },
    { key: "latency_p99", label: "Latency p99 (ms)", raw: execution.latency_ms.p99 ?? "", text: format.number(execution.latency_ms.p99, 1) },
    { key: "events", label: "Events per second", raw: snapshot.system.events_per_second, text: format.number(snapshot.system.events_per_second, 1) },
    { key: "system", label: "System", raw: snapshot.system.status, text: snapshot.system.status, className: statusClass(snapshot.system.status) },
  ]));
}

function syncSymbolPicker(snapshot) {
  const picker = byId("market-symbol");
  const known = new Set([...picker.options].map((o) => o.value));
  for (const s of snapshot.market) if (!known.has(s.symbol)) picker.append(el("option", { value: s.symbol }, s.symbol));
}

function renderCharts() {
  const symbol = byId("market-symbol").value;
  marketChart ??= timeChart(byId("market-chart"), { title: "Bid, mid and ask", format: price, xFormat: clock,
    series: [{ label: "Bid" }, { label: "Mid" }, { label: "Ask" }] });
  const quotes = history.bySymbol.get(symbol) || [];
  marketChart.update(symbol ? history.times : [], [0, 1, 2].map((i) => quotes.map((q) => (q ? q[i] : null))));
  const strategies = [...history.byStrategy.keys()].sort();
  if (strategies.join() !== pnlStrategies) {
    pnlStrategies = strategies.join();
    pnlChart = timeChart(byId("pnl-chart"), { title: "Daily P&L", format: pnl, xFormat: clock,
      axisFormat: (v) => format.number(v, 2), series: strategies.map((name) => ({ label: name })) });
  }
  pnlChart.update(strategies.length ? history.times : [], strategies.map((name) => history.byStrategy.get(name)));
}

function renderMarketTable(snapshot) {
  show(byId("market-table"), table([
    { label: "Symbol", value: (s) => s.symbol },
    { label: "Last", numeric: true, value: (s) => el("span", { "data-symbol": s.symbol, "data-field": "last" }, price(s.last)) },
    { label: "Bid", numeric: true, value: (s) => price(s.bid) },
    { label: "Ask", numeric: true, value: (s) => price(s.ask) },
    { label: "Spread (bps)", numeric: true, value: (s) => format.number(s.spread_bps, 2) },
    { label: "VWAP", numeric: true, value: (s) => price(s.vwap) },
    { label: "Volume", numeric: true, value: (s) => format.integer(s.volume) },
    { label: "Trades", numeric: true, value: (s) => format.integer(s.trades) },
  ], snapshot.market, { caption: "Market figures of the session", empty: "No quotes yet." }));
}

function renderSlowParts(snapshot) {
  const positions = snapshot.strategies.flatMap((s) => s.positions.map((p) => ({ strategy: s.strategy, ...p })));
  show(byId("positions"), table([
    { label: "Strategy", value: (p) => p.strategy },
    { label: "Symbol", value: (p) => p.symbol },
    { label: "Quantity", numeric: true, value: (p) => format.number(p.qty, 4) },
    { label: "Average cost", numeric: true, value: (p) => price(p.avg_cost) },
    { label: "Mark", numeric: true, value: (p) => price(p.mark) },
    { label: "Unrealized", numeric: true, value: (p) => pnl(p.unrealized_pnl) },
    { label: "Realized", numeric: true, value: (p) => pnl(p.realized_pnl) },
  ], positions, { caption: "Open and closed positions", empty: "No positions." }));
  const host = snapshot.system.host;
  show(byId("system"), [
    el("p", {}, "Status: ", el("strong", { class: statusClass(snapshot.system.status) }, snapshot.system.status),
      ` · CPU ${format.number(host.cpu_percent, 0)} % · memory ${format.number(host.memory_percent, 0)} %`
      + ` · disk ${format.number(host.disk_percent, 0)} %`),
    table([
      { label: "Component", value: (c) => c.name },
      { label: "Status", value: (c) => el("span", { class: statusClass(c.status) }, c.status) },
      { label: "Last heartbeat", value: (c) => format.time(c.last_heartbeat_at) },
    ], snapshot.system.components, { caption: "Components", empty: "No component has reported." }),
  ]);
}

function onSnapshot(snapshot) {
  byId("trading-as-of").textContent = `Snapshot ${format.integer(snapshot.sequence)} at ${format.time(snapshot.ts)}`;
  record(snapshot);
  syncSymbolPicker(snapshot);
  renderKpis(snapshot);
  renderMarketTable(snapshot);
  renderCharts();
  if (Date.now() - slowRenderAt > 1000) {
    slowRenderAt = Date.now();
    renderSlowParts(snapshot);
  }
}

async function loadExecution() {
  const quality = await api(`${BASE}/trades/execution/quality`, { query: { days: 1 } });
  return table([
    { label: "Strategy", value: (r) => r.strategy || "all" },
    { label: "Orders", numeric: true, value: (r) => format.integer(r.orders) },
    { label: "Fill rate", numeric: true, value: (r) => format.percent(r.fill_rate) },
    { label: "Reject rate", numeric: true, value: (r) => format.percent(r.reject_rate) },
    { label: "Slippage (bps)", numeric: true, value: (r) => format.number(r.slippage_bps, 2) },
    { label: "Mean latency (ms)", numeric: true, value: (r) => format.number(r.latency_ms.mean, 1) },
  ], [quality.overall, ...quality.by_strategy], { caption: "Orders submitted today", empty: "No orders today." });
}

let trades = [];
function renderTrades() {
  show(byId("trades"), table([
    { label: "Time", value: (t) => format.time(t.ts) },
    { label: "Strategy", value: (t) => t.strategy },
    { label: "Symbol", value: (t) => t.symbol },
    { label: "Side", value: (t) => t.side },
    { label: "Quantity", numeric: true, value: (t) => format.number(t.qty, 4) },
    { label: "Price", numeric: true, value: (t) => price(t.price) },
    { label: "Fee", numeric: true, value: (t) => pnl(t.fee) },
    { label: "Realized P&L", numeric: true, value: (t) => pnl(t.realized_pnl) },
  ], trades, { caption: "Newest first", empty: "No trades yet." }));
}

async function loadTrades() {
  trades = (await api(`${BASE}/trades`, { query: { limit: TRADES_SHOWN } })).data;
  renderTrades();
}

function ackButton(alert, reload) {
  if (alert.acknowledged_at) return `acknowledged by ${alert.acknowledged_by || "someone"}`;
  if (alert.status !== "active") return "";
  return el("button", { type: "button", class: "button", "aria-label": `Acknowledge alert ${alert.message}`,
    onclick: () => api(`${BASE}/system/alerts/acknowledge/${alert.id}`, { method: "POST" })
      .then(reload, (e) => showProblem(byId("alerts"), e)) }, "Acknowledge");
}

function alertsLoader() {
  const reload = () => fill(byId("alerts"), async () => {
    const answer = await api(`${BASE}/system/alerts`);
    return table([
      { label: "Raised", value: (a) => format.dateTime(a.raised_at) },
      { label: "Severity", value: (a) => el("span", { class: statusClass(a.severity) }, a.severity) },
      { label: "Status", value: (a) => a.status },
      { label: "Alert", wrap: true, value: (a) => a.message },
      { label: "Acknowledge", value: (a) => ackButton(a, reload) },
    ], answer.data.slice(0, 20), { caption: "Newest first", empty: "No alerts." });
  });
  return reload;
}

startPage(async () => {
  byId("market-symbol").addEventListener("change", renderCharts);
  renderCharts();
  const reloadAlerts = alertsLoader();
  live().subscribe("trading.metrics", onSnapshot);
  live().subscribe("trading.trades", (data) => {
    // A reload can already hold a fill that then also arrives live.
    const shown = new Set(trades.map((t) => t.id));
    const fresh = data.trades.filter((t) => !shown.has(t.id)).reverse();
    trades = [...fresh, ...trades].slice(0, TRADES_SHOWN);
    renderTrades();
  }, () => loadTrades().catch((e) => showProblem(byId("trades"), e)));
  live().subscribe("trading.alerts", reloadAlerts, reloadAlerts);
  show(byId("positions"), emptyState("Waiting for the first snapshot…"));
  show(byId("system"), emptyState("Waiting for the first snapshot…"));
  show(byId("market-table"), emptyState("Waiting for the first snapshot…"));
  await Promise.all([fill(byId("execution"), loadExecution),
    loadTrades().catch((e) => showProblem(byId("trades"), e)), reloadAlerts()]);
});
