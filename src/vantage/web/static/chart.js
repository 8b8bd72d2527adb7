// Charts, each with a table of the same numbers one click away (and for screen readers).
import uPlot from "./vendor/uplot.esm.js";
import { el, emptyState, table } from "./dom.js";

const SERIES_COLOURS = 6;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function colour(index) {
  return cssVar(`--series-${(index % SERIES_COLOURS) + 1}`);
}

/** The frame every chart shares: a title, a chart/table toggle, the chart and the table. */
function figure(container, title) {
  const toggle = el("button", { type: "button", class: "button ghost", "aria-pressed": "false" }, "Show table");
  const chartArea = el("div", { class: "chart-canvas" });
  const tableArea = el("div", { class: "chart-table", hidden: true });
  const heading = el("h3", {}, title);
  const root = el("figure", { class: "chart" }, el("div", { class: "chart-head" }, heading, toggle), chartArea, tableArea);
  root.setAttribute("aria-label", title);
  toggle.addEventListener("click", () => {
    const showTable = toggle.getAttribute("aria-pressed") !== "true";
    toggle.setAttribute("aria-pressed", String(showTable));
    toggle.textContent = showTable ? "Show chart" : "Show table";
    chartArea.hidden = showTable;
    tableArea.hidden = !showTable;
    root.dispatchEvent(new Event("viewchange"));
  });
  container.replaceChildren(root);
  return { root, chartArea, tableArea, tableShown: () => !tableArea.hidden };
}

// The tick steps a value axis may take: 1, 2 and 5 times each power of ten.
const STEPS = [];
for (let exponent = -12; exponent <= 15; exponent++) {
  for (const multiple of [1, 2, 5]) STEPS.push(Number(`${multiple}e${exponent}`));
}

function labelsDiffer(format, step, from) {
  const labels = [0, 1, 2].map((i) => format(from + i * step));
  return new Set(labels).size === labels.length;
}

/**
 * The tick steps whose labels ``format`` tells apart between ``min`` and ``max``: money at two
 * decimals never gets ticks half a cent apart (two ticks both reading $0.14), whole numbers
 * none half a unit apart. Checked with three ticks at each end of the range, where uPlot would
 * place them (multiples of the step).
 */
export function distinctSteps(format, min, max) {
  if (min == null || max == null || !(max > min)) return STEPS;
  const first = STEPS.findIndex((step) => labelsDiffer(format, step, Math.ceil(min / step) * step)
    && labelsDiffer(format, step, Math.floor(max / step) * step - 2 * step));
  return first < 0 ? STEPS : STEPS.slice(first);
}

function axis(format) {
  return {
    stroke: cssVar("--muted"),
    grid: { stroke: cssVar("--chart-grid"), width: 1 },
    ticks: { stroke: cssVar("--chart-grid"), width: 1 },
    values: format ? (u, values) => values.map((v) => format(v)) : undefined,
    incrs: format ? (u, axisIndex, min, max) => distinctSteps(format, min, max) : undefined,
    // Wide enough for the longest label ("-15,000"), which uPlot's fixed default would clip.
    size: format ? (u, values) => 18 + 7.5 * Math.max(3, ...(values || []).map((v) => String(v).length)) : 50,
  };
}

// With one point, or values all zero, uPlot would pick a range of its own: years of time, and
// 0-100 of value, which a rate axis shows as 0-10,000 %. A lone point gets a day either side.
const DAY_SECONDS = 86_400;

export function timeRange(u, min, max) {
  return min != null && min === max ? [min - DAY_SECONDS, max + DAY_SECONDS] : [min, max];
}

export function valueRange(u, min, max) {
  if (min == null) return [null, null];
  return min === 0 && max === 0 ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true);
}

/**
 * A time series chart. ``series``: [{label, format?, right?}]; ``update(times, columns)`` takes
 * Unix seconds and one array of values per series. ``format`` formats values (and the left axis
 * unless ``axisFormat`` is given); ``xLabel`` names the time column of the table.
 */
export function timeChart(container, { title, series, format, axisFormat, xFormat, xLabel = "Time", height = 240 }) {
  const frame = figure(container, title);
  let plot = null;
  let data = [[], ...series.map(() => [])];
  let tableBuiltAt = 0;

  const options = () => ({
    width: Math.max(frame.chartArea.clientWidth, 280),
    height,
    series: [{ label: xLabel, value: (u, v) => (v == null ? "" : xFormat(v)) },
      ...series.map((s, i) => ({ label: s.label, stroke: colour(i), width: 2, scale: s.right ? "right" : "y",
        value: (u, v) => (v == null ? "–" : (s.format || format)(v)) }))],
    // A series on another scale (requests next to cost) gets its own axis on the right.
    axes: [axis(null), axis(axisFormat || format), ...series.filter((s) => s.right).slice(0, 1)
      .map((s) => ({ ...axis(s.format), scale: "right", side: 1, grid: { show: false } }))],
    scales: { x: { time: true, range: timeRange }, y: { range: valueRange },
      ...(series.some((s) => s.right) ? { right: { range: valueRange } } : {}) },
    cursor: { drag: { x: false, y: false } },
  });

  const renderTable = () => {
    const rows = data[0].map((x, i) => ({ x, values: series.map((_, s) => data[s + 1][i]) })).reverse();
    const columns = [{ label: xLabel, value: (r) => xFormat(r.x) },
      ...series.map((s, i) => ({ label: s.label, numeric: true, value: (r) => (s.format || format)(r.values[i]) }))];
    frame.tableArea.replaceChildren(table(columns, rows.slice(0, 500), { caption: title }));
    tableBuiltAt = Date.now();
  };

  const render = () => {
    if (!data[0].length) {
      plot?.destroy();
      plot = null;
      frame.chartArea.replaceChildren(emptyState());
    } else if (!plot) {
      frame.chartArea.replaceChildren();
      plot = new uPlot(options(), data, frame.chartArea);
    } else {
      plot.setData(data);
    }
    // A live chart updates ten times a second; its table follows at most once a second.
    if (frame.tableShown() && Date.now() - tableBuiltAt > 1000) renderTable();
    else if (!frame.tableShown()) tableBuiltAt = 0;
  };

  const rebuild = () => {
    plot?.destroy();
    plot = null;
    render();
  };
  frame.root.addEventListener("viewchange", () => {
    tableBuiltAt = 0;
    rebuild();
  });
  document.addEventListener("vantage:theme", rebuild);
  new ResizeObserver(() => plot?.setSize({ width: Math.max(frame.chartArea.clientWidth, 280), height })).observe(frame.chartArea);

  return {
    update(times, columns) {
      data = [times, ...columns];
      render();
    },
  };
}

/** Horizontal bars for categories: rows [{label, value}], values formatted by ``format``. */
export function barChart(container, { title, rows, format, valueLabel = "Value", labelHeader = "Name" }) {
  const frame = figure(container, title);
  if (!rows.length) {
    frame.chartArea.replaceChildren(emptyState());
    frame.tableArea.replaceChildren(emptyState());
    return;
  }
  const largest = Math.max(...rows.map((r) => Math.abs(Number(r.value))), 1e-12);
  const bars = rows.map((row) => {
    const fill = el("div", { class: "bar-fill" });
    fill.style.width = `${(Math.abs(Number(row.value)) / largest) * 100}%`;
    return el("div", { class: "bar-row" },
      el("span", { class: "bar-label", title: row.label }, row.label),
      el("div", { class: "bar-track", "aria-hidden": "true" }, fill),
      el("span", { class: "bar-value" }, format(row.value)));
  });
  frame.chartArea.replaceChildren(el("div", { class: "bars" }, bars));
  frame.tableArea.replaceChildren(table(
    [{ label: labelHeader, value: (r) => r.label }, { label: valueLabel, numeric: true, value: (r) => format(r.value) }],
    rows, { caption: title }));
}
