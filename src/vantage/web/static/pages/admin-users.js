import { api, byId, el, fill, format, show, showProblem, startPage, table } from "../kit.js";

const ROLES = ["viewer", "analyst", "admin"];

async function update(user, change) {
  await api(`/api/v1/admin/users/${user.id}`, { method: "PATCH", body: change });
}

function roleSelect(user, reload) {
  const select = el("select", { "aria-label": `Role of ${user.email}` },
    ROLES.map((role) => el("option", { value: role, selected: role === user.role }, role)));
  select.addEventListener("change", () => update(user, { role: select.value }).then(reload, (e) => {
    showProblem(byId("new-user-problem"), e);
    reload();
  }));
  return select;
}

function activeButton(user, reload) {
  const label = user.active ? "Disable" : "Enable";
  return el("button", {
    type: "button", class: "button", "aria-label": `${label} ${user.email}`,
    onclick: () => update(user, { active: !user.active }).then(reload, (e) => showProblem(byId("new-user-problem"), e)),
  }, label);
}

startPage(async () => {
  const container = byId("users");
  const reload = () => fill(container, async () => {
    const page = await api("/api/v1/admin/users", { query: { limit: 100 } });
    return table([
      { label: "Email", value: (u) => u.email },
      { label: "Role", value: (u) => roleSelect(u, reload) },
      { label: "Status", value: (u) => (u.active ? "active" : "disabled") },
      { label: "Created", value: (u) => format.dateTime(u.created_at) },
      { label: "Actions", value: (u) => activeButton(u, reload) },
    ], page.data, { caption: `${page.pagination.total ?? page.data.length} users`, empty: "No users yet." });
  });
  byId("new-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      await api("/api/v1/admin/users", { method: "POST",
        body: { email: form.email.value, password: form.password.value, role: form.role.value } });
      form.reset();
      show(byId("new-user-problem"), []);
      reload();
    } catch (error) {
      showProblem(byId("new-user-problem"), error);
    }
  });
  await reload();
});
