import { api, byId, el, fill, format, show, showProblem, startPage, table } from "../kit.js";

function revokeButton(key, reload) {
  if (key.revoked_at) return "revoked";
  return el("button", {
    type: "button", class: "button", "aria-label": `Revoke ${key.name}`,
    onclick: () => api(`/api/v1/admin/api-keys/${key.id}`, { method: "DELETE" })
      .then(reload, (e) => showProblem(byId("new-key-problem"), e)),
  }, "Revoke");
}

function showSecret(key) {
  const input = byId("new-key-value");
  input.value = key;
  byId("new-key-secret").hidden = false;
  input.focus();
  input.select();
}

startPage(async () => {
  const container = byId("api-keys");
  const reload = () => fill(container, async () => {
    const page = await api("/api/v1/admin/api-keys", { query: { limit: 100 } });
    return table([
      { label: "Name", value: (k) => k.name },
      { label: "Prefix", value: (k) => el("code", {}, k.prefix) },
      { label: "Scopes", value: (k) => k.scopes.join(", ") },
      { label: "Expires", value: (k) => (k.expires_at ? format.dateTime(k.expires_at) : "never") },
      { label: "Last used", value: (k) => format.dateTime(k.last_used_at) },
      { label: "Actions", value: (k) => revokeButton(k, reload) },
    ], page.data, { caption: "API keys of this tenant", empty: "No API keys yet." });
  });
  byId("copy-key").addEventListener("click", () => navigator.clipboard?.writeText(byId("new-key-value").value));
  byId("new-key").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
    const days = Number(form.days.value);
    const body = { name: form.name.value, scopes };
    if (days > 0) body.expires_at = new Date(Date.now() + days * 86_400_000).toISOString();
    try {
      const created = await api("/api/v1/admin/api-keys", { method: "POST", body });
      show(byId("new-key-problem"), []);
      form.reset();
      showSecret(created.key);
      reload();
    } catch (error) {
      showProblem(byId("new-key-problem"), error);
    }
  });
  await reload();
});
