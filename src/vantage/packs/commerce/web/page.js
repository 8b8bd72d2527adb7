// Commerce: KPIs, revenue, products, RFM, customers, cohorts and a CSV import, all from
// /api/v1/commerce.
import { api, barChart, byId, el, emptyState, fill, format, kpis, parseCsv, scrollable, show,
  showProblem, startPage, table, timeChart } from "../../kit.js";

const BASE = "/api/v1/commerce";
const IMPORT_BATCH_ORDERS = 500;
let currency = "USD";

const days = () => byId("commerce-days").value;
const money = (value) => format.money(value, currency);

async function loadKpis() {
  const d = await api(`${BASE}/dashboard`, { query: { days: days() } });
  currency = d.currency || currency;
  byId("commerce-as-of").textContent = d.data_as_of ? `Data as of ${format.dateTime(d.data_as_of)}` : "No data yet";
  return kpis([
    { key: "revenue", label: "Revenue", raw: d.revenue, text: money(d.revenue) },
    { key: "transactions", label: "Transactions", raw: d.transactions, text: format.integer(d.transactions) },
    { key: "aov", label: "Average order value", raw: d.aov ?? "", text: money(d.aov) },
    { key: "units", label: "Units sold", raw: d.units, text: format.integer(d.units) },
    { key: "refunds", label: "Refunds", raw: d.refunds, text: money(d.refunds) },
    { key: "completed", label: "Completed orders", raw: d.orders_by_status.completed,
      text: format.integer(d.orders_by_status.completed) },
    { key: "pending", label: "Pending orders", raw: d.orders_by_status.pending,
      text: format.integer(d.orders_by_status.pending) },
  ]);
}

let revenueChart = null;
async function loadRevenue() {
  const granularity = byId("revenue-granularity").value;
  const answer = await api(`${BASE}/revenue`, { query: { days: days(), granularity } });
  revenueChart ??= timeChart(byId("revenue-chart"), {
    title: "Revenue", xLabel: "Period", series: [{ label: "Revenue", format: money }, { label: "Completed orders", format: format.integer, right: true }],
    format: (v) => format.compact(v), xFormat: (t) => format.dateOnly(new Date(t * 1000).toISOString().slice(0, 10)),
  });
  // Without any ingest the buckets are all zeros: say there is nothing yet instead.
  const points = answer.data_as_of ? answer.data : [];
  revenueChart.update(points.map((p) => Date.parse(`${p.period}T00:00:00Z`) / 1000),
    [points.map((p) => Number(p.revenue)), points.map((p) => p.orders)]);
}

async function loadProducts() {
  const page = await api(`${BASE}/products`, { query: { days: days(), sort: "-revenue", limit: 10 } });
  barChart(byId("top-products"), { title: "Revenue by product", labelHeader: "Product", valueLabel: "Revenue",
    rows: page.data.map((p) => ({ label: p.name || p.id, value: p.revenue })), format: money });
}

async function loadRfm() {
  const answer = await api(`${BASE}/rfm`, { query: { days: days() } });
  byId("rfm-summary").textContent = `${format.integer(answer.customers)} customers; repeat-purchase rate ${format.percent(answer.repeat_purchase_rate)}`;
  barChart(byId("rfm"), { title: "Customers by segment", labelHeader: "Segment", valueLabel: "Customers",
    rows: answer.segments.map((s) => ({ label: s.segment.replaceAll("_", " "), value: s.customers })), format: format.integer });
}

// Keyset pages: the cursors of the pages seen so far make "previous" possible.
const customerPages = { cursors: [null], index: 0 };
async function loadCustomers() {
  const cursor = customerPages.cursors[customerPages.index];
  const page = await api(`${BASE}/customers`, { query: { sort: byId("customers-sort").value, limit: 20, cursor } });
  customerPages.cursors[customerPages.index + 1] = page.pagination.next_cursor;
  byId("customers-previous").disabled = customerPages.index === 0;
  byId("customers-next").disabled = !page.pagination.next_cursor;
  byId("customers-page").textContent = `Page ${customerPages.index + 1}`;
  return table([
    { label: "Customer", value: (c) => c.name || c.id },
    { label: "Country", value: (c) => c.country || "–" },
    { label: "Lifetime value", numeric: true, value: (c) => money(c.ltv) },
    { label: "Orders", numeric: true, value: (c) => format.integer(c.orders) },
    { label: "AOV", numeric: true, value: (c) => money(c.aov) },
    { label: "Last order", value: (c) => format.dateOnly(c.last_order_at) },
  ], page.data, { caption: "Customers with purchases", empty: "No customer has bought yet." });
}

function hexToRgb(hex) {
  const value = parseInt(hex.replace("#", ""), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function luminance([r, g, b]) {
  const linear = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** Cell colour between the surface and the accent, with whichever text colour reads better. */
function heatCell(td, share) {
  const style = getComputedStyle(document.documentElement);
  const low = hexToRgb(style.getPropertyValue("--surface").trim());
  const high = hexToRgb(style.getPropertyValue("--accent").trim());
  const rgb = low.map((c, i) => Math.round(c + (high[i] - c) * Math.min(1, share)));
  td.style.backgroundColor = `rgb(${rgb.join(",")})`;
  const l = luminance(rgb);
  td.style.color = (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

let cohorts = null;
async function loadCohorts() {
  cohorts = await api(`${BASE}/cohorts`);
  return cohortTable(cohorts);
}

function cohortTable(answer) {
  if (!answer.data.length) return emptyState("No cohorts in this window.");
  const width = Math.max(...answer.data.map((row) => row.retention.length));
  const header = el("tr", {}, el("th", { scope: "col" }, "Cohort"), el("th", { scope: "col", class: "number" }, "Customers"),
    Array.from({ length: width }, (_, k) => el("th", { scope: "col", class: "number" }, `+${k}`)));
  const rows = answer.data.map((row) => el("tr", {},
    el("th", { scope: "row" }, format.month(row.cohort)),
    el("td", { class: "number" }, format.integer(row.customers)),
    Array.from({ length: width }, (_, k) => {
      const share = row.retention[k];
      const td = el("td", {}, share === undefined ? "" : format.percent(share, 0));
      if (share !== undefined) heatCell(td, k === 0 ? 1 : Number(share) * 2.5);
      return td;
    })));
  const caption = "Retention by months since the first purchase";
  return scrollable(el("table", { class: "heatmap" }, el("caption", {}, caption), el("thead", {}, header),
    el("tbody", {}, rows)), caption);
}

const ORDER_FIELDS = ["customer_id", "customer_name", "country", "currency"];

function placedAt(value) {
  // Times without a zone are UTC, as in `vantage import orders`.
  const iso = value.includes("T") ? value : value.replace(" ", "T");
  return /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
}

/** One order per run of rows sharing an order_id, as the file import reads them. */
function ordersFromRows(rows) {
  const orders = [];
  for (const row of rows) {
    let order = orders.at(-1);
    if (!order || order.id !== row.order_id) {
      order = { id: row.order_id, placed_at: placedAt(row.placed_at), status: row.status || "completed", lines: [] };
      for (const name of ORDER_FIELDS) if (row[name]) order[name] = row[name];
      orders.push(order);
    }
    const line = { product_id: row.product_id, quantity: Number(row.quantity), unit_price: row.unit_price };
    if (row.product_name) line.product_name = row.product_name;
    order.lines.push(line);
  }
  return orders;
}

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function importFile(file) {
  const progress = byId("import-progress");
  const status = byId("import-status");
  const orders = ordersFromRows(parseCsv(await file.text()));
  if (!orders.length) throw new Error("The file holds no order rows.");
  let sent = 0;
  progress.value = 0;
  for (let start = 0; start < orders.length; start += IMPORT_BATCH_ORDERS) {
    const batch = orders.slice(start, start + IMPORT_BATCH_ORDERS);
    await api(`${BASE}/orders`, { method: "POST", body: { orders: batch }, headers: { "Idempotency-Key": randomKey() } });
    sent += batch.length;
    progress.value = Math.round((sent / orders.length) * 100);
    status.textContent = `${format.integer(sent)} of ${format.integer(orders.length)} orders imported (${progress.value} %)`;
  }
}

function loadWindowed() {
  fill(byId("commerce-kpis"), loadKpis).then(() => Promise.all([
    loadRevenue().catch((e) => showProblem(byId("revenue-chart"), e)),
    loadProducts().catch((e) => showProblem(byId("top-products"), e)),
    loadRfm().catch((e) => showProblem(byId("rfm"), e)),
  ]));
}

startPage(async () => {
  byId("commerce-days").addEventListener("change", loadWindowed);
  byId("revenue-granularity").addEventListener("change", () => loadRevenue().catch((e) => showProblem(byId("revenue-chart"), e)));
  const reloadCustomers = () => fill(byId("customers"), loadCustomers);
  byId("customers-sort").addEventListener("change", () => {
    customerPages.cursors = [null];
    customerPages.index = 0;
    reloadCustomers();
  });
  byId("customers-next").addEventListener("click", () => { customerPages.index += 1; reloadCustomers(); });
  byId("customers-previous").addEventListener("click", () => { customerPages.index -= 1; reloadCustomers(); });
  byId("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.currentTarget.querySelector("button");
    button.disabled = true;
    try {
      await importFile(byId("import-file").files[0]);
      loadWindowed();
      reloadCustomers();
    } catch (error) {
      showProblem(byId("import-status"), error);
    } finally {
      button.disabled = false;
    }
  });
  loadWindowed();
  reloadCustomers();
  fill(byId("cohorts"), loadCohorts);
  // The heatmap's colours come from the theme: paint them again when it changes.
  document.addEventListener("vantage:theme", () => cohorts && show(byId("cohorts"), cohortTable(cohorts)));
  show(byId("import-status"), "Choose a file to import.");
});
