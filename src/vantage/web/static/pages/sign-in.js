import { safeNext, signIn } from "../auth.js";
import { byId, problemBox, show } from "../dom.js";

const params = new URLSearchParams(location.search);
byId("sign-in-reason").hidden = params.get("expired") !== "1";

byId("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const problem = await signIn(form.email.value.trim(), form.password.value, form.tenant.value.trim());
    if (problem) {
      show(byId("sign-in-problem"), problemBox({ title: problem.title, detail: problem.detail,
        requestId: problem.request_id }));
      form.password.select();
      return;
    }
    location.assign(safeNext(params.get("next")));
  } finally {
    button.disabled = false;
  }
});
byId("email").focus();
