// The Civil Affairs Bureau: its offices ranked for a month against the targets, the city's totals;
// an office's page (its figures by procedure, where it is, its cases). Staff of one office see theirs.
import { api } from "./api.js";
import { facts, h, notice, table } from "./dom.js";
import { procedureName, t } from "./i18n.js";

function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function rag(status) {
  return status ? [" ", h("span", { class: `badge rag-${status}` }, t(`rag_${status}`))] : null;
}

function thisMonth() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 7); // the office's month (UTC+8)
}

function monthRange(month) {
  const [year, number] = month.split("-").map(Number);
  const last = new Date(Date.UTC(year, number, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, "0")}` };
}

function figures(row) {
  return [String(row.received), String(row.judged), h("span", {}, percent(row.compliance), rag(row.compliance_status)),
    h("span", {}, String(row.breaches), rag(row.breaches_status)), String(row.open), String(row.open_overdue),
    row.rating_mean ?? "—"];
}

const COLUMNS = () => [t("office_received"), t("office_judged"), t("office_compliance"), t("office_breaches"),
  t("office_open"), t("office_open_overdue"), t("office_rating")];

export async function officesPage(main, params) {
  const month = params.get("month") || thisMonth();
  const picker = h("input", { type: "month", id: "offices-month", value: month });
  const form = h("form", { class: "actions", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/offices?month=${picker.value || thisMonth()}`;
  } }, h("label", { for: "offices-month" }, t("review_month")), picker,
  h("button", { type: "submit", class: "secondary", id: "offices-show" }, t("show")));
  main.append(h("h1", {}, t("offices_title")), form);
  const compared = await api(`/api/reports/offices?month=${month}`);
  const goal = compared.targets.sla_compliance;
  main.append(h("p", { class: "hint" }, t("offices_ranked_by", { target: percent(goal.target) })));
  const rows = compared.offices.map((row) => [
    row.rank ?? "—",
    h("a", { href: `#/office/${row.code}?month=${month}`, class: "office-link" }, `${row.name} (${row.code})`),
    row.district || "—", ...figures(row)]);
  rows.push([h("strong", {}, t("offices_city")), t("offices_count", { n: compared.city.offices }), "", ...figures(compared.city)]);
  main.append(compared.offices.length
    ? table(t("offices_caption", { month }), [t("office_rank"), t("office_name"), t("office_district"), ...COLUMNS()], rows,
      { id: "offices-table", class: "figures" })
    : notice("info", t("no_data")));
}

export async function officePage(main, code, params) {
  const month = params.get("month") || thisMonth();
  const { from, to } = monthRange(month);
  const office = await api(`/api/offices/${encodeURIComponent(code)}`);
  main.append(h("p", {}, h("a", { href: `#/offices?month=${month}` }, t("offices_back"))),
    h("h1", {}, `${office.name} (${office.code})`),
    facts([[t("office_place"), [office.region, office.district].filter(Boolean).join(" ") || "—"],
      [t("office_address"), office.address || "—"], [t("office_phone"), office.phone || "—"],
      [t("office_counters"), String(office.counters)],
      [t("office_hours"), Object.entries(office.opening_hours || {}).map(([day, [open, close]]) =>
        `${t(`day_${day}`)} ${open}–${close}`).join("、") || "—"]]));
  const sla = await api(`/api/reports/sla?office=${encodeURIComponent(code)}&from=${from}&to=${to}`);
  main.append(h("h2", {}, t("office_figures", { month })),
    sla.rows.length ? table(null, [t("col_procedure"), t("office_judged"), t("office_on_time"), t("office_late"), t("office_compliance")],
      sla.rows.map((row) => [procedureName(row.procedure), String(row.judged), String(row.on_time), String(row.late), percent(row.compliance)]),
      { id: "office-sla" }) : h("p", {}, t("no_data")),
    h("h2", {}, t("office_cases")),
    h("p", { class: "actions" },
      h("a", { class: "button", id: "office-cases", href: `#/cases?office=${encodeURIComponent(code)}` }, t("office_all_cases")),
      h("a", { class: "button secondary", id: "office-overdue", href: `#/cases?office=${encodeURIComponent(code)}&overdue=1` },
        t("office_overdue_cases"))));
}
