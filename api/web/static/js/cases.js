// Clerks find a case: one box for the number, the applicant's name, ID number or phone; filters;
// sorts; pages from the server (keyset: each page's ``next`` is the following page's ``after``). The search lives in the address (#/cases?...), so
// going back returns to the same results.
import { api, session } from "./api.js";
import { announce, h, table } from "./dom.js";
import { channelName, formatDate, formatTime, joined, laneName, localName, procedureName, t } from "./i18n.js";
import { slaBadge } from "./clerk.js";

const FILTERS = ["q", "procedure", "status", "channel", "officer", "overdue", "from", "to", "sort", "office"];
const SORTS = [["-received_at", "sort_received_desc"], ["received_at", "sort_received_asc"],
  ["due_at", "sort_due_asc"], ["-due_at", "sort_due_desc"]];
const OFFICE_OFFSET = "+08:00"; // dates typed are the office's days (Asia/Taipei has no daylight saving)

function nextDay(day) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** The API query of the search in the address. */
function apiQuery(params) {
  const query = new URLSearchParams({ per_page: "25" });
  for (const name of ["q", "procedure", "status", "channel", "officer", "sort", "after", "office"]) {
    if (params.get(name)) query.set(name, params.get(name));
  }
  if (params.get("overdue") === "1") query.set("overdue", "true");
  if (params.get("from")) query.set("received_from", `${params.get("from")}T00:00:00${OFFICE_OFFSET}`);
  if (params.get("to")) query.set("received_to", `${nextDay(params.get("to"))}T00:00:00${OFFICE_OFFSET}`);
  return query;
}

function go(params) {
  location.hash = `#/cases?${params}`;
}

export function applicantText(applicant) {
  if (!applicant) return "—";
  return [applicant.name, applicant.national_id].filter(Boolean).join(" ") || "—";
}

/** Where a case stands, in words: its open steps, or what it waits for. */
export function whereItStands(item) {
  if (item.status !== "running") return t(item.close_kind ? `close_${item.close_kind}` : `status_${item.status}`);
  if (item.current_steps?.length) {
    return joined(item.current_steps.map((step) => `${localName(step.name) || step.element_id} · ${laneName(step.lane)}`));
  }
  if (item.awaiting_documents) return t("awaiting_documents");
  return t("status_running");
}

export async function searchPage(main, params) {
  const definitions = await api("/api/definitions");
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  const select = (id, name, options) => h("select", { id, name },
    options.map(([value, label]) => h("option", { value, selected: (params.get(name) || "") === value }, label)));
  const q = h("input", { id: "search-q", name: "q", type: "search", value: params.get("q") || "", autocomplete: "off",
    "aria-describedby": "search-hint", maxlength: 100 });
  const controls = {
    q,
    procedure: select("search-procedure", "procedure", [["", t("any")],
      ...definitions.map((definition) => [definition.key, procedureName(definition.key)])]),
    status: select("search-status", "status", [["", t("any")],
      ...["running", "completed", "cancelled"].map((status) => [status, t(`status_${status}`)])]),
    channel: select("search-channel", "channel", [["", t("any")],
      ...["counter", "online", "home_visit"].map((channel) => [channel, channelName(channel)])]),
    officer: select("search-officer", "officer", [["", t("any")], ["me", t("officer_me")]]),
    from: h("input", { id: "search-from", name: "from", type: "date", value: params.get("from") || "" }),
    to: h("input", { id: "search-to", name: "to", type: "date", value: params.get("to") || "" }),
    sort: select("search-sort", "sort", SORTS.map(([value, key]) => [value, t(key)])),
    overdue: h("input", { id: "search-overdue", name: "overdue", type: "checkbox", checked: params.get("overdue") === "1" }),
    // The office a bureau's drill-down came from (kept while the other filters change).
    office: h("input", { id: "search-office", name: "office", type: "hidden", value: params.get("office") || "" }),
  };
  const form = h("form", { class: "panel search-form", role: "search", "aria-label": t("search_title"), onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const control = controls[name];
      const value = control.type === "checkbox" ? (control.checked ? "1" : "") : control.value.trim();
      if (value) next.set(name, value);
    }
    go(next);
  } },
  h("div", { class: "field wide" }, h("label", { for: "search-q" }, t("search_label")), q,
    h("span", { class: "hint", id: "search-hint" }, t("search_hint"))),
  h("div", { class: "filters" },
    field("search-procedure", t("filter_procedure"), controls.procedure),
    field("search-status", t("filter_status"), controls.status),
    field("search-channel", t("filter_channel"), controls.channel),
    field("search-officer", t("filter_officer"), controls.officer),
    field("search-from", t("filter_from"), controls.from),
    field("search-to", t("filter_to"), controls.to),
    field("search-sort", t("sort_by"), controls.sort)),
  h("div", { class: "field inline" }, controls.overdue, h("label", { for: "search-overdue" }, t("filter_overdue"))),
  controls.office,
  params.get("office") ? h("p", { class: "hint", id: "search-office-note" }, t("filter_office", { office: params.get("office") })) : null,
  h("div", { class: "actions" }, h("button", { type: "submit", id: "search-button" }, t("search")),
    h("a", { href: "#/cases", class: "button secondary" }, t("clear_filters"))));
  const results = h("section", { id: "search-results", "aria-labelledby": "results-heading", tabindex: "-1" });
  main.append(h("h1", {}, t("search_title")), form, results);
  await showResults(results, params);
  if (params.toString()) announce(results.querySelector("#results-heading")?.textContent || "");
}

async function showResults(results, params) {
  const page = await api(`/api/cases?${apiQuery(params)}`);
  const trail = (params.get("trail") || "").split(",").filter(Boolean); // cursors of the pages before
  const count = page.total_exact ? t("results", { n: page.total }) : t("results_more", { n: page.total });
  results.append(h("h2", { id: "results-heading" }, `${count} · ${t("page_n", { n: trail.length + 1 })}`));
  if (!page.items.length) {
    results.append(h("p", {}, t("no_results")));
    return;
  }
  const canOpen = session.hasRole("clerk", "supervisor", "auditor", "admin");
  results.append(table(null,
    [t("col_case"), t("col_procedure"), t("col_applicant"), t("col_officer"), t("col_current"), t("col_received"), t("col_due"), t("col_sla")],
    page.items.map((item) => [
      canOpen ? h("a", { href: `#/case/${item.id}`, class: "case-link" }, item.number) : item.number,
      procedureName(item.procedure), applicantText(item.applicant), item.officer?.name || t("no_officer"),
      whereItStands(item), formatTime(item.received_at), item.due_at ? formatDate(item.due_at) : "—", slaBadge(item.sla_state)]),
    { id: "cases-table", "data-count": page.items.length }));
  const pager = h("nav", { class: "actions", "aria-label": t("page_n", { n: trail.length + 1 }) });
  if (trail.length) {
    const back = new URLSearchParams(params);
    const before = trail.slice(0, -1);
    const cursor = trail.at(-1);
    if (cursor === "first") back.delete("after"); else back.set("after", cursor);
    if (before.length) back.set("trail", before.join(",")); else back.delete("trail");
    pager.append(h("a", { class: "button secondary", href: `#/cases?${back}`, id: "previous-page" }, t("previous_page")));
  }
  if (page.next) {
    const forward = new URLSearchParams(params);
    forward.set("trail", [...trail, params.get("after") || "first"].join(","));
    forward.set("after", page.next);
    pager.append(h("a", { class: "button secondary", href: `#/cases?${forward}`, id: "next-page" }, t("next_page")));
  }
  results.append(pager);
}
