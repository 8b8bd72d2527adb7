// Commerce: KPIs, revenue, products, RFM, customers, cohorts and a CSV import, all from
// /api/v1/commerce.
import { api, apiFetch, barChart, byId, el, emptyState, fill, format, kpis, latestOnly, live,
  scrollable, show, showProblem, startPage, table, timeChart } from "../../kit.js";

const BASE = "/api/v1/commerce";
let currency = "USD";

const days = () => byId("commerce-days").value;
const money = (value) => format.money(value, currency);

const loadKpis = latestOnly(async (current) => {
  const d = await api(`${BASE}/dashboard`, { query: { days: days() } });
  if (!current()) return null; // fill() keeps what the later call shows
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
});

let revenueChart = null;
const loadRevenue = latestOnly(async (current) => {
  const granularity = byId("revenue-granularity").value;
  const answer = await api(`${BASE}/revenue`, { query: { days: days(), granularity } });
  if (!current()) return;
  revenueChart ??= timeChart(byId("revenue-chart"), {
    title: "Revenue", xLabel: "Period", series: [{ label: "Revenue", format: money }, { label: "Completed orders", format: format.integer, right: true }],
    format: (v) => format.compact(v), xFormat: (t) => format.dateOnly(new Date(t * 1000).toISOString().slice(0, 10)),
  });
  // Without any ingest the buckets are all zeros: say there is nothing yet instead.
  const points = answer.data_as_of ? answer.data : [];
  revenueChart.update(points.map((p) => Date.parse(`${p.period}T00:00:00Z`) / 1000),
    [points.map((p) => Number(p.revenue)), points.map((p) => p.orders)]);
});

const loadProducts = latestOnly(async (current) => {
  const page = await api(`${BASE}/products`, { query: { days: days(), sort: "-revenue", limit: 10 } });
  if (!current()) return;
  barChart(byId("top-products"), { title: "Revenue by product", labelHeader: "Product", valueLabel: "Revenue",
    rows: page.data.map((p) => ({ label: p.name || p.id, value: p.revenue })), format: money });
});

const loadRfm = latestOnly(async (current) => {
  const answer = await api(`${BASE}/rfm`, { query: { days: days() } });
  if (!current()) return;
  byId("rfm-summary").textContent = `${format.integer(answer.customers)} customers; repeat-purchase rate ${format.percent(answer.repeat_purchase_rate)}`;
  barChart(byId("rfm"), { title: "Customers by segment", labelHeader: "Segment", valueLabel: "Customers",
    rows: answer.segments.map((s) => ({ label: s.segment.replaceAll("_", " "), value: s.customers })), format: format.integer });
});

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

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

function showImport(job) {
  const bar = byId("import-progress");
  const { done, total, percent } = job.progress;
  if (percent !== null) bar.value = Math.floor(percent);
  const status = byId("import-status");
  if (job.status === "succeeded") {
    status.textContent = `${format.integer(job.result.orders)} of ${format.integer(total ?? job.result.orders)} orders imported (100 %)`;
  } else if (job.status === "failed") {
    status.textContent = `The import failed: ${job.error}`;
  } else if (job.status === "cancelled") {
    status.textContent = `The import was cancelled after ${format.integer(done)} orders.`;
  } else if (total !== null) {
    status.textContent = `${format.integer(done)} of ${format.integer(total)} orders imported (${bar.value} %)`;
  } else {
    status.textContent = job.message ? `${job.message[0].toUpperCase()}${job.message.slice(1)}…` : "Queued…";
  }
}

/** The job's state until it ends: each event on its live channel reads it again. */
function followJob(jobId) {
  const channel = `core.jobs:${jobId}`;
  return new Promise((resolve, reject) => {
    let reading = false;
    let again = false; // an event arrived during a read: read once more after it
    const read = () => {
      if (reading) { again = true; return; }
      reading = true;
      api(`/api/v1/jobs/${jobId}`).then((job) => {
        reading = false;
        showImport(job);
        if (FINISHED.has(job.status)) {
          stop();
          resolve(job);
        } else if (again) {
          again = false;
          read();
        }
      }, (error) => { stop(); reject(error); });
    };
    // The live channel carries every change; a slow poll covers a connection that is down.
    const poll = setInterval(read, 3000);
    const stop = () => { clearInterval(poll); live().unsubscribe(channel); };
    live().subscribe(channel, read, read);
    read();
  });
}

async function importFile(file) {
  byId("import-progress").value = 0;
  byId("import-status").textContent = "Uploading…";
  const response = await apiFetch(`${BASE}/imports`, { method: "POST", rawBody: file,
    headers: { "Content-Type": "text/csv", "Idempotency-Key": randomKey() } });
  const { job_id: jobId } = await response.json();
  return followJob(jobId);
}

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
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
      const job = await importFile(byId("import-file").files[0]);
      if (job.status !== "failed") {
        loadWindowed();
        reloadCustomers();
      }
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
