// The frame around every signed-in page: sign-in guard, navigation over the enabled packs,
// theme toggle and sign-out.
import { api } from "./api.js";
import { goToSignIn, isSignedIn, scheduleRefresh, signOut } from "./auth.js";
import { byId, el } from "./dom.js";

const darkQuery = matchMedia("(prefers-color-scheme: dark)");

function effectiveTheme() {
  return document.documentElement.dataset.theme || (darkQuery.matches ? "dark" : "light");
}

function showThemeButton() {
  const button = byId("theme-toggle");
  const dark = effectiveTheme() === "dark";
  button.setAttribute("aria-pressed", String(dark));
  button.textContent = dark ? "Light theme" : "Dark theme";
}

function setUpTheme() {
  byId("theme-toggle").addEventListener("click", () => {
    const next = effectiveTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("vantage.theme", next);
    showThemeButton();
    document.dispatchEvent(new Event("vantage:theme"));
  });
  darkQuery.addEventListener("change", () => {
    showThemeButton();
    document.dispatchEvent(new Event("vantage:theme"));
  });
  showThemeButton();
}

function navLink(href, text) {
  const current = location.pathname === href;
  return el("li", {}, el("a", { href, "aria-current": current ? "page" : null }, text));
}

function buildNav(packs, me) {
  const withPages = new Set(byId("main-nav").dataset.packPages.split(" ").filter(Boolean));
  const items = [navLink("/", "Overview")];
  for (const pack of packs) {
    if (withPages.has(pack.name)) items.push(navLink(`/ui/packs/${pack.name}`, pack.title));
  }
  if (me.scopes.includes("admin")) {
    items.push(el("li", { class: "nav-group", "aria-hidden": "true" }, "Admin:"));
    items.push(navLink("/ui/admin/users", "Users"), navLink("/ui/admin/api-keys", "API keys"),
      navLink("/ui/admin/jobs", "Jobs"));
  }
  byId("nav-list").replaceChildren(...items);
}

async function start() {
  setUpTheme();
  byId("sign-out").addEventListener("click", signOut);
  if (!isSignedIn()) {
    goToSignIn(false);
    return new Promise(() => {}); // the page is being left
  }
  scheduleRefresh();
  const [me, packs] = await Promise.all([api("/api/v1/auth/me"), api("/api/v1/packs")]);
  byId("signed-in-as").textContent = me.email || `API key ${me.id}`;
  buildNav(packs.data, me);
  return { me, packs: packs.data };
}

/** Resolves once the user is known and the navigation is built: {me, packs}. */
export const ready = start();
