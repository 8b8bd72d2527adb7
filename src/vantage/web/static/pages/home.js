import { byId, el, startPage } from "../kit.js";

startPage(async ({ packs }) => {
  const withPages = new Set(byId("main-nav").dataset.packPages.split(" ").filter(Boolean));
  const cards = packs.map((pack) =>
    el("article", { class: "card", "data-pack": pack.name },
      el("h3", {}, withPages.has(pack.name) ? el("a", { href: `/ui/packs/${pack.name}` }, pack.title) : pack.title),
      el("p", { class: "muted" }, pack.description || ""),
      el("p", {}, `Version ${pack.version}`,
        pack.depends_on.length ? ` · needs ${pack.depends_on.join(", ")}` : "",
        withPages.has(pack.name) ? "" : " · no page yet (API only)")));
  const container = byId("pack-cards");
  container.replaceChildren(...(cards.length ? cards : [el("p", { class: "empty" }, "No pack is enabled.")]));
  container.removeAttribute("aria-busy");
});
