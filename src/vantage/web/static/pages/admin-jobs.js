import { api, byId, el, fill, format, live, showProblem, startPage, table } from "../kit.js";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

function progressCell(job) {
  const percent = job.progress.percent;
  const bar = el("progress", { max: "100", "aria-label": `Progress of ${job.kind} ${job.id}` });
  if (percent !== null) bar.value = percent;
  const text = percent === null ? format.integer(job.progress.done) : format.percent(percent / 100);
  return el("span", { "data-job-progress": job.id }, bar, " ", text);
}

function cancelButton(job, reload) {
  if (FINISHED.has(job.status) || job.cancel_requested) return job.cancel_requested ? "cancelling" : "";
  return el("button", {
    type: "button", class: "button", "aria-label": `Cancel job ${job.id}`,
    onclick: () => api(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" })
      .then(reload, (e) => showProblem(byId("page-problem"), e)),
  }, "Cancel");
}

startPage(async () => {
  const container = byId("jobs");
  const watched = new Set();
  let reloadTimer = null;
  const reload = () => fill(container, async () => {
    const page = await api("/api/v1/jobs", { query: { limit: 50, status: byId("job-status").value } });
    for (const job of page.data) {
      const channel = `core.jobs:${job.id}`;
      if (!FINISHED.has(job.status) && !watched.has(channel)) {
        watched.add(channel);
        // Progress events and resets (one per job as its subscription is acknowledged)
        // reload the list at most twice a second.
        live().subscribe(channel, reloadSoon, reloadSoon);
      }
    }
    return table([
      { label: "Kind", value: (j) => j.kind },
      { label: "Status", value: (j) => el("span", { class: `badge status-${j.status}` }, j.status) },
      { label: "Progress", value: progressCell },
      { label: "ETA", value: (j) => (j.eta_seconds == null ? "–" : `${format.integer(j.eta_seconds)} s`) },
      { label: "Message", value: (j) => j.error || j.message || "" },
      { label: "Created", value: (j) => format.dateTime(j.created_at) },
      { label: "Actions", value: (j) => cancelButton(j, reload) },
    ], page.data, { caption: "Jobs, newest first", empty: "No jobs match." });
  });
  const reloadSoon = () => {
    reloadTimer ??= setTimeout(() => { reloadTimer = null; reload(); }, 500);
  };
  byId("job-status").addEventListener("change", reload);
  byId("jobs-refresh").addEventListener("click", reload);
  await reload();
});
