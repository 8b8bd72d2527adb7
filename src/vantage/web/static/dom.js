// Small DOM building blocks: elements, tables, KPIs, empty states and problems. Text is always set as
// text, never parsed as HTML.

/** el("td", {class: "number"}, "12") — attributes, then children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function byId(id) {
  return document.getElementById(id);
}

export function emptyState(message = "No data for this selection yet.") {
  return el("p", { class: "empty" }, message);
}

/** Columns: {label, value: row => text or Node, numeric?: bool}. */
export function table(columns, rows, { caption, empty } = {}) {
  if (!rows.length) return emptyState(empty);
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.numeric ? "number" : null }, c.label)));
  const body = rows.map((row) =>
    el("tr", {}, columns.map((c) => el("td", { class: c.numeric ? "number" : c.wrap ? "wrap" : null }, c.value(row)))),
  );
  return scrollable(el("table", {}, caption ? el("caption", {}, caption) : null, el("thead", {}, head),
    el("tbody", {}, body)), caption || "Table");
}

/** A wide table's scrolling frame, reachable by keyboard so it can be scrolled without a mouse. */
export function scrollable(tableNode, label) {
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": label }, tableNode);
}

/** Key figures: items {key, label, text, raw}; ``raw`` is kept in data-value for checks. */
export function kpis(items) {
  return el("dl", { class: "kpis" }, items.map((item) =>
    el("div", { class: "kpi", "data-kpi": item.key },
      el("dt", {}, item.label),
      el("dd", { "data-value": item.raw ?? "", class: item.className || null }, item.text)),
  ));
}

// A problem box lists this many of a 422's field errors, then says how many more there are.
const LISTED_ERRORS = 10;

/** One field error as "where: what" ("scopes: Field required"). */
function fieldError(item) {
  const where = (item.loc || []).filter((part) => part !== "body" && part !== "query").join(".");
  return where ? `${where}: ${item.message}` : item.message;
}

export function problemBox(error) {
  const title = error.title || error.message || "Something went wrong";
  const errors = error.errors || [];
  const more = errors.length - LISTED_ERRORS;
  return el("div", { class: "problem" },
    el("strong", {}, title),
    error.detail ? el("div", {}, error.detail) : null,
    errors.length ? el("ul", {}, errors.slice(0, LISTED_ERRORS).map((item) => el("li", {}, fieldError(item))),
      more > 0 ? el("li", {}, `and ${more} more`) : null) : null,
    error.requestId ? el("div", {}, "Request id: ", el("code", {}, error.requestId)) : null,
  );
}

/** Replaces a container's content; a problem or an exception shows as a problem box. */
export function show(container, content) {
  container.replaceChildren(...[content].flat().filter(Boolean));
}

export function showProblem(container, error) {
  if (error && error.status === 401) return; // already on the way to sign-in
  console.warn("API problem", error);
  show(container, problemBox(error));
}

/** `loader` made to draw only its latest call's answer: it gets `current`, a check to make after
 * each wait and before drawing, which turns false once a later call began. An answer to an
 * earlier choice may arrive last; it is dropped, and so is an earlier call's failure. */
export function latestOnly(loader) {
  let latest = null;
  return async (...args) => {
    const ticket = {};
    latest = ticket;
    const current = () => latest === ticket;
    try {
      return await loader(current, ...args);
    } catch (error) {
      if (current()) throw error;
      return null;
    }
  };
}

// The latest fill() of each container: an answer to an earlier choice (a window changed while
// its first answer was on the way) may arrive last, and must not replace the later one.
const latestFill = new WeakMap();

/** Runs an async loader for a container: shows what it returns, or the problem it raised,
 * unless a later fill() of the same container began meanwhile. */
export async function fill(container, loader) {
  const ticket = {};
  latestFill.set(container, ticket);
  container.setAttribute("aria-busy", "true");
  const current = () => latestFill.get(container) === ticket;
  try {
    const content = await loader();
    if (current()) show(container, content);
  } catch (error) {
    if (current()) showProblem(container, error);
  } finally {
    if (current()) container.removeAttribute("aria-busy");
  }
}
