// The shell: header, navigation by role, hash routes, language switch, sign-in.
import { api, ApiError, session } from "./api.js";
import { h, notice } from "./dom.js";
import { currentCalendar, currentLanguage, loadVocabulary, setCalendar, setLanguage, t } from "./i18n.js";

const ROUTES = [
  // [pattern, module, page function, roles (null: anyone)]
  [/^#\/login$/, null, loginPage, null],
  [/^#\/status$/, "./public.js", "statusPage", null],
  [/^#\/apply$/, "./online.js", "applyPage", null],
  [/^#\/apply\/(\w+)$/, "./online.js", "applicationPage", null],
  [/^#\/inbox$/, "./clerk.js", "inboxPage", ["clerk", "supervisor", "auditor", "admin"]],
  [/^#\/task\/([\w-]+)$/, "./clerk.js", "taskPage", ["clerk", "supervisor", "auditor", "admin"]],
  [/^#\/counter$/, "./clerk.js", "counterPage", ["clerk", "supervisor"]],
  [/^#\/cases$/, "./cases.js", "searchPage", ["clerk", "supervisor", "auditor", "admin"]],
  [/^#\/case\/([\w-]+)$/, "./casework.js", "casePage", ["clerk", "supervisor", "auditor", "admin"]],
  [/^#\/case\/([\w-]+)\/history$/, "./audit.js", "casePage", ["supervisor", "auditor", "admin"]],
  [/^#\/designer$/, "./designer.js", "designerPage", ["designer", "admin"]],
  [/^#\/dashboard$/, "./dashboard.js", "dashboardPage", ["supervisor", "auditor", "admin"]],
  [/^#\/audit$/, "./auditor.js", "auditPage", ["supervisor", "auditor", "admin"]],
  [/^#\/queues$/, "./supervisor.js", "queuesPage", ["supervisor", "admin"]],
  [/^#\/reassign$/, "./reassign.js", "reassignPage", ["supervisor"]],
  [/^#\/queue\/display$/, "./queue.js", "displayPage", null],
  [/^#\/queue\/kiosk$/, "./queue.js", "kioskPage", ["kiosk", "clerk", "supervisor", "admin"]],
  [/^#\/queue\/counter$/, "./queue.js", "counterQueuePage", ["clerk", "supervisor", "admin"]],
  [/^#\/incidents$/, "./incidents.js", "incidentsPage", ["supervisor", "admin"]],
  [/^#\/offices$/, "./bureau.js", "officesPage", ["supervisor", "auditor", "admin"]],
  [/^#\/office\/(\w+)$/, "./bureau.js", "officePage", ["supervisor", "auditor", "admin"]],
  [/^#\/improvement$/, "./improvement.js", "improvementPage", ["designer", "supervisor", "auditor", "admin"]],
];

const NAV = [
  ["#/inbox", "nav_inbox", ["clerk", "supervisor"]],
  ["#/counter", "nav_counter", ["clerk", "supervisor"]],
  ["#/queue/counter", "nav_queue", ["clerk", "supervisor"]],
  ["#/cases", "nav_cases", ["clerk", "supervisor", "auditor", "admin"]],
  ["#/dashboard", "nav_dashboard", ["supervisor", "auditor", "admin"]],
  ["#/offices", "nav_offices", ["supervisor", "auditor", "admin"]],
  ["#/queues", "nav_queues", ["supervisor", "admin"]],
  ["#/audit", "nav_audit", ["supervisor", "auditor", "admin"]],
  ["#/incidents", "nav_incidents", ["supervisor", "admin"]],
  ["#/improvement", "nav_improvement", ["designer", "supervisor", "auditor", "admin"]],
  ["#/designer", "nav_designer", ["designer", "admin"]],
  ["#/status", "nav_status", null],
  ["#/apply", "nav_apply", null],
];

function homeRoute() {
  if (session.hasRole("kiosk")) return "#/queue/kiosk";
  if (session.hasRole("clerk")) return "#/inbox";
  if (session.hasRole("designer")) return "#/designer";
  if (session.hasRole("supervisor", "auditor", "admin")) return "#/dashboard";
  return "#/login";
}

function renderHeader() {
  const header = document.getElementById("top");
  const route = location.hash.split("?")[0];
  const links = NAV.filter(([, , roles]) => roles === null || session.hasRole(...roles));
  header.replaceChildren(...[ // (absent parts are null: replaceChildren would write "null")
    h("a", { class: "brand", href: session.user ? homeRoute() : "#/login" }, t("app_title")),
    h("nav", { "aria-label": t("nav_main") }, h("ul", {}, links.map(([href, key]) =>
      h("li", {}, h("a", { href, "aria-current": route === href ? "page" : null }, t(key)))))),
    h("span", { class: "spacer" }),
    session.user ? h("span", { class: "who" }, t("signed_in_as", { name: session.user.display_name || session.user.username })) : null,
    h("select", { class: "calendar-switch", "aria-label": t("calendar_label"), onchange: switchCalendar },
      ["roc", "gregorian"].map((calendar) =>
        h("option", { value: calendar, selected: currentCalendar() === calendar }, t(`calendar_${calendar}`)))),
    h("button", { type: "button", class: "lang-switch", lang: currentLanguage() === "en" ? "zh-Hant-TW" : "en",
      "aria-label": t("language_label"), onclick: switchLanguage }, t("language")),
    session.user ? h("button", { type: "button", class: "sign-out", onclick: signOut }, t("sign_out")) : null,
  ].filter(Boolean));
  document.getElementById("skip-link").textContent = t("skip");
  document.title = t("app_title");
}

function switchCalendar(event) {
  setCalendar(event.target.value);
  route().then(() => document.querySelector(".calendar-switch")?.focus());
}

function switchLanguage() {
  setLanguage(currentLanguage() === "en" ? "zh-TW" : "en");
  route().then(() => document.querySelector(".lang-switch")?.focus());
}

async function signOut() {
  try { await api("/api/auth/token", { method: "DELETE" }); } catch { /* the token may be gone already */ }
  session.clear();
  location.hash = "#/login";
}

function loginPage(main) {
  const error = h("div");
  const username = h("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "panel", "aria-labelledby": "login-heading", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const issued = await api("/api/auth/token", { method: "POST", json: { username: username.value, password: password.value } });
      session.save(issued.token, issued.user);
      location.hash = homeRoute();
    } catch (failure) {
      error.replaceChildren(notice("bad", failure instanceof ApiError && failure.status === 401 ? t("sign_in_failed") : failure.message));
      password.focus();
    }
  } },
  h("div", { class: "field" }, h("label", { for: "login-username" }, t("username")), username),
  h("div", { class: "field" }, h("label", { for: "login-password" }, t("password")), password),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("sign_in")),
    h("a", { href: "#/status" }, t("nav_status"))));
  main.append(h("h1", { id: "login-heading" }, t("login_title")), error, form);
  username.focus();
}

async function route() {
  document.body.dataset.ready = "false"; // "true" again once the page is drawn (the tests wait for it)
  const hash = location.hash || (session.user ? homeRoute() : "#/login");
  const path = hash.split("?")[0];
  renderHeader();
  // Each visit renders into its own view: a page still loading for an earlier visit writes
  // into a view that is no longer shown.
  const main = h("div", { class: "view" });
  document.getElementById("main").replaceChildren(main);
  const found = ROUTES.find(([pattern]) => pattern.test(path));
  if (!found) { location.hash = session.user ? homeRoute() : "#/login"; return; }
  const [pattern, module, page, roles] = found;
  if (roles && !session.user) { location.hash = "#/login"; return; }
  const args = path.match(pattern).slice(1);
  const params = new URLSearchParams(hash.split("?")[1] || "");
  try {
    if (roles && !session.hasRole(...roles)) throw new Error(t("forbidden_page"));
    const render = module ? (await import(module))[page] : page;
    await render(main, ...args, params);
  } catch (failure) {
    console.error(failure);
    main.append(notice("bad", `${t("error")}: ${failure.message}`));
  }
  if (!main.isConnected) return; // another visit began meanwhile: it reports when it is drawn
  if (!main.contains(document.activeElement)) {
    const heading = main.querySelector("h1");
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  }
  document.body.dataset.page = (path.split("/")[1] || "") + (path.endsWith("/history") ? "-history" : "");
  document.body.dataset.ready = "true";
}

setLanguage(currentLanguage());
window.addEventListener("hashchange", () => route());
await loadVocabulary();
route();
