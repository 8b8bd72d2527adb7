// What a page script needs, in one import: `import { startPage, api, ... } from "../../kit.js"`
// (pack pages are served at packs/<pack>/page.js, next to this file's directory).
import { ready } from "./shell.js";
import { byId, showProblem } from "./dom.js";

export { api, apiFetch, ApiError } from "./api.js";
export { byId, el, emptyState, fill, kpis, latestOnly, problemBox, scrollable, show, showProblem, table } from "./dom.js";
export { barChart, timeChart } from "./chart.js";
export { live } from "./live.js";
export * as format from "./format.js";

/** Runs the page's code once the shell is ready; a failure shows as the page's problem. */
export async function startPage(run) {
  try {
    await run(await ready);
  } catch (error) {
    showProblem(byId("page-problem"), error);
  }
}
