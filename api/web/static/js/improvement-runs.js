// The improvement loop's what-if runs (a proposal tried on a past period's real arrivals) and the
// measured effect of a deployed version: sections of the improvement page.
import { api } from "./api.js";
import { h, notice, table } from "./dom.js";
import { formatTime, localName, procedureName, t } from "./i18n.js";

const POLL_MS = 2000;
const INDICATORS = [["sla_compliance", "share"], ["sla_judged", "count"], ["sla_late", "count"], ["breaches", "count"],
  ["one_time_notice", "share"], ["waiting_minutes", "number"]];

function shown(value, unit = "number") {
  if (value === null || value === undefined) return "—";
  if (unit === "share") return `${Math.round(value * 1000) / 10}%`;
  return String(Math.round(value * 100) / 100);
}

function signed(value, unit) {
  if (value === null || value === undefined) return "—";
  return `${value > 0 ? "+" : ""}${unit === "share" ? `${Math.round(value * 1000) / 10} ${t("points")}` : shown(value)}`;
}

/** "Clerk=2, Surveyor=1@9-10" -> staff lines ("*" for every lane); null when empty. */
export function parseStaff(text) {
  const lines = text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = part.match(/^([^=]+)=(\d+)(?:@(\d+)-(\d+))?$/);
    if (!match) throw new Error(t("whatif_staff_bad", { part }));
    const lane = match[1].trim();
    return { lane: lane === "*" ? null : lane, clerks: Number(match[2]), ...(match[3] ? { hours: [Number(match[3]), Number(match[4])] } : {}) };
  });
  return lines.length ? lines : null;
}

const staffText = (lines) => (lines || []).map((line) => `${line.lane ?? "*"}=${line.clerks}@${line.hours[0]}-${line.hours[1]}`).join(", ");

function outcomeText(outcome) {
  if (!outcome) return "—";
  const status = t(`whatif_status_${outcome.status}`);
  if (outcome.on_time === null || outcome.on_time === undefined) return status;
  return t("whatif_outcome", { status, timing: outcome.on_time ? t("whatif_on_time") : t("whatif_late") });
}

function resultView(run) {
  const result = run.result;
  const { current, proposed } = result;
  const steps = new Map();
  for (const [side, rows] of [["current", current.steps], ["proposed", proposed.steps]]) {
    for (const row of rows) {
      const key = `${row.procedure}/${row.element_id}`;
      steps.set(key, { ...(steps.get(key) || { name: row.element_name || row.element_id, procedure: row.procedure }), [side]: row });
    }
  }
  const actors = [...new Set([...current.workload, ...proposed.workload].map((row) => row.actor))].sort();
  const work = (rows, actor) => rows.find((row) => row.actor === actor);
  const stepCell = (row, key) => (row ? shown(row[key]) : "—");
  return h("div", { id: "whatif-result" },
    h("p", {}, t("whatif_summary", { arrivals: result.arrivals, from: result.days.from, to: result.days.to, days: result.days.working_days,
      different: result.ended_differently })),
    table(t("whatif_figures"), [t("review_indicator"), t("whatif_current"), t("whatif_proposed"), t("review_change")],
      INDICATORS.map(([key, unit]) => [t(`whatif_${key}`), shown(current.figures[key], unit), shown(proposed.figures[key], unit),
        signed(result.change[key], unit)]).concat([
        [t("whatif_supplement_rounds"), String(current.supplement_rounds), String(proposed.supplement_rounds), signed(proposed.supplement_rounds - current.supplement_rounds)],
        [t("whatif_notice_rounds"), String(current.notice_rounds), String(proposed.notice_rounds), signed(proposed.notice_rounds - current.notice_rounds)],
      ]), { id: "whatif-figures" }),
    table(t("whatif_steps"), [t("procedure"), t("finding_subject"), t("whatif_lane"), `${t("whatif_waiting_median")} ${t("whatif_current")}`,
      `${t("whatif_waiting_median")} ${t("whatif_proposed")}`, `P90 ${t("whatif_current")}`, `P90 ${t("whatif_proposed")}`,
      `${t("whatif_completed")} ${t("whatif_current")}`, `${t("whatif_completed")} ${t("whatif_proposed")}`, t("whatif_minutes")],
    [...steps.values()].map((row) => [procedureName(row.procedure), localName(row.name),
      `${row.current?.lane ?? "—"} → ${row.proposed?.lane ?? "—"}`,
      stepCell(row.current, "waiting_hours_median"), stepCell(row.proposed, "waiting_hours_median"),
      stepCell(row.current, "waiting_hours_p90"), stepCell(row.proposed, "waiting_hours_p90"),
      stepCell(row.current, "completed"), stepCell(row.proposed, "completed"),
      shown((row.proposed || row.current).processing_minutes)]), { id: "whatif-steps" }),
    table(t("whatif_workload"), [t("whatif_clerk"), t("whatif_lane"), `${t("whatif_tasks")} ${t("whatif_current")}`,
      `${t("whatif_tasks")} ${t("whatif_proposed")}`, `${t("whatif_minutes_total")} ${t("whatif_current")}`, `${t("whatif_minutes_total")} ${t("whatif_proposed")}`],
    actors.map((actor) => {
      const now = work(current.workload, actor); const then = work(proposed.workload, actor);
      return [actor, (then || now).lanes.join(", ") || "*", String(now?.tasks ?? 0), String(then?.tasks ?? 0),
        shown(now?.minutes ?? 0), shown(then?.minutes ?? 0)];
    }), { id: "whatif-workload" }),
    result.cases_ended_differently.length
      ? table(t("whatif_different", { n: result.ended_differently }), [t("case_number"), t("whatif_real"), t("whatif_current"), t("whatif_proposed")],
        result.cases_ended_differently.map((item) => [h("a", { href: `#/case/${item.case_id}` }, item.number),
          outcomeText(item.real), outcomeText(item.current), outcomeText(item.proposed)]), { id: "whatif-different" })
      : h("p", {}, t("whatif_none_different")));
}

/** The what-if section: the form, the latest runs, the chosen run's result. */
export function whatIfSection(definitions, period) {
  const first = h("input", { type: "date", id: "whatif-from", value: period.first, required: true });
  const last = h("input", { type: "date", id: "whatif-to", value: period.last, required: true });
  const options = (blank) => [h("option", { value: "" }, blank), ...definitions.map((d) => h("option", { value: d.key }, procedureName(d.key)))];
  const procedure = h("select", { id: "whatif-procedure" }, options(t("all_procedures")));
  const proposalKey = h("select", { id: "whatif-proposal-procedure" }, options(t("whatif_no_proposal")));
  const files = h("input", { type: "file", id: "whatif-files", multiple: true, accept: ".bpmn,.json,.dmn,.xml" });
  const current = h("input", { id: "whatif-staff-current", placeholder: "Clerk=2, Surveyor=1@9-10", size: 34 });
  const proposedStaff = h("input", { id: "whatif-staff-proposed", placeholder: "Clerk=2, Surveyor=2@9-10", size: 34 });
  const seed = h("input", { type: "number", id: "whatif-seed", value: "1", min: "0" });
  const tail = h("input", { type: "number", id: "whatif-tail", value: "10", min: "0", max: "30" });
  const message = h("div", { id: "whatif-message", "aria-live": "polite" });
  const runs = h("div", { id: "whatif-runs" });
  const shownRun = h("div", { id: "whatif-run" });
  let polling = null;
  const field = (id, label, control, hint) => h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("small", { class: "hint" }, hint) : null);
  const section = h("section", { "aria-labelledby": "whatif-heading" }, h("h2", { id: "whatif-heading" }, t("whatif_title")),
    h("p", { class: "hint" }, t("whatif_intro")),
    h("form", { id: "whatif-form", onsubmit: (event) => { event.preventDefault(); start(); } },
      h("div", { class: "actions" }, field("whatif-from", t("period_from"), first), field("whatif-to", t("period_to"), last),
        field("whatif-procedure", t("whatif_arrivals_of"), procedure)),
      h("div", { class: "actions" }, field("whatif-proposal-procedure", t("whatif_proposal_for"), proposalKey),
        field("whatif-files", t("whatif_files"), files, t("whatif_files_hint"))),
      h("div", { class: "actions" }, field("whatif-staff-current", t("whatif_staff_current"), current, t("whatif_staff_current_hint")),
        field("whatif-staff-proposed", t("whatif_staff_proposed"), proposedStaff, t("whatif_staff_hint"))),
      h("div", { class: "actions" }, field("whatif-seed", t("whatif_seed"), seed), field("whatif-tail", t("whatif_tail"), tail),
        h("button", { type: "submit", id: "whatif-start" }, t("whatif_start")))),
    message, runs, shownRun);

  async function start() {
    let body;
    try {
      body = { from: first.value, to: last.value, seed: Number(seed.value || 1), tail_days: Number(tail.value || 0) };
      if (procedure.value) body.procedure = procedure.value;
      const staff = { current: parseStaff(current.value), proposed: parseStaff(proposedStaff.value) };
      if (staff.current || staff.proposed) body.staff = Object.fromEntries(Object.entries(staff).filter(([, lines]) => lines));
      if (proposalKey.value && files.files.length) {
        const texts = await Promise.all([...files.files].map(async (file) => [file.name, await file.text()]));
        body.proposal = { procedure: proposalKey.value, files: Object.fromEntries(texts) };
      }
      const run = await api("/api/improvement/what-ifs", { method: "POST", json: body });
      message.replaceChildren(notice("ok", t("whatif_queued", { id: run.id })));
      await listRuns();
      show(run.id);
    } catch (failure) {
      const details = (failure.problem?.errors || []).map((error) => h("li", {}, [error.field, error.element, error.message].filter(Boolean).join(": ")));
      message.replaceChildren(notice("bad", failure.message, details.length ? h("ul", {}, details) : null));
    }
  }

  async function listRuns() {
    const items = await api("/api/improvement/what-ifs");
    runs.replaceChildren(items.length ? table(t("whatif_runs"), ["#", t("whatif_run_status"), t("whatif_requested"), t("whatif_period"), ""],
      items.map((run) => [String(run.id), t(`whatif_run_${run.status}`), `${run.requested_by} ${formatTime(run.requested_at)}`,
        `${run.inputs.from} – ${run.inputs.to}`,
        h("button", { type: "button", class: "secondary", "data-run": String(run.id), onclick: () => show(run.id) }, t("whatif_show"))]),
      { id: "whatif-runs-table" }) : h("p", {}, t("whatif_no_runs")));
  }

  async function show(id) {
    clearTimeout(polling);
    if (!section.isConnected && polling !== null) return; // the page was left
    const run = await api(`/api/improvement/what-ifs/${id}`);
    const heading = h("h3", {}, t("whatif_run_heading", { id: run.id, status: t(`whatif_run_${run.status}`) }));
    const staff = h("p", {}, t("whatif_run_staff", { current: staffText(run.inputs.staff.current), proposed: staffText(run.inputs.staff.proposed),
      proposal: run.inputs.proposal ? `${procedureName(run.inputs.proposal.procedure)} (${run.inputs.proposal.files.join(", ")})` : t("whatif_no_proposal") }));
    if (run.status === "done") shownRun.replaceChildren(heading, staff, resultView(run));
    else if (run.status === "failed" || run.status === "interrupted") shownRun.replaceChildren(heading, staff, notice("bad", run.error || t("whatif_run_interrupted")));
    else {
      shownRun.replaceChildren(heading, staff, h("p", { role: "status" }, t("whatif_running")));
      polling = setTimeout(() => { if (section.isConnected) show(id).then(listRuns); }, POLL_MS);
    }
    shownRun.dataset.status = run.status;
  }

  return { section, load: listRuns };
}

/** The measured effect of a deployed version: the office's figures before and after it. */
export function effectSection(definitions) {
  const procedure = h("select", { id: "effect-procedure" }, definitions.map((d) => h("option", { value: d.key }, procedureName(d.key))));
  const version = h("select", { id: "effect-version" });
  const body = h("div", { id: "effect-result", "aria-live": "polite" });
  const section = h("section", { "aria-labelledby": "effect-heading" }, h("h2", { id: "effect-heading" }, t("effect_title")),
    h("p", { class: "hint" }, t("effect_intro")),
    h("form", { class: "actions", onsubmit: (event) => { event.preventDefault(); show(); } },
      h("label", { for: "effect-procedure" }, t("procedure")), procedure,
      h("label", { for: "effect-version" }, t("effect_version")), version,
      h("button", { type: "submit", id: "effect-show" }, t("show"))), body);
  procedure.addEventListener("change", () => versions());

  async function versions() {
    if (!procedure.value) return;
    const detail = await api(`/api/definitions/${procedure.value}`);
    const deployed = detail.versions.filter((item) => !item.draft && item.version > 1);
    version.replaceChildren(...deployed.reverse().map((item) => h("option", { value: String(item.version) },
      t("effect_version_option", { version: item.version, when: formatTime(item.deployed_at) }))));
    body.replaceChildren(deployed.length ? "" : h("p", {}, t("effect_no_versions")));
  }

  async function show() {
    if (!version.value) return;
    try {
      const effect = await api(`/api/improvement/effects/${procedure.value}/${version.value}`);
      const rows = [["cases", "count"], ["open", "count"], ["sla_judged", "count"], ["sla_late", "count"], ["sla_compliance", "share"],
        ["processing_working_days_median", "number"], ["notice_rounds_per_case", "number"], ["ratings", "count"], ["rating_mean", "number"],
        ["low_ratings", "count"]];
      const better = (key) => {
        const change = effect.changes[key];
        if (!change || change.better === null || change.better === undefined) return "—";
        return h("span", { class: `badge rag-${change.better ? "green" : "red"}` }, change.better ? t("effect_better") : t("effect_worse"));
      };
      body.replaceChildren(h("p", {}, t("effect_summary", { days: effect.days, deployed: formatTime(effect.deployed_at),
        by: effect.deployed_by || "—", before: `${formatTime(effect.before.from)} – ${formatTime(effect.before.to)}`,
        after: `${formatTime(effect.after.from)} – ${formatTime(effect.after.to)}` })),
      table(t("effect_caption"), [t("review_indicator"), t("effect_before"), t("effect_after"), t("effect_cases_behind"), t("review_change")],
        rows.map(([key, unit]) => [t(`effect_${key}`), shown(effect.before[key], unit), shown(effect.after[key], unit),
          `${effect.before[basis(key)]} / ${effect.after[basis(key)]}`, better(key)]), { id: "effect-table" }));
    } catch (failure) {
      body.replaceChildren(notice("bad", failure.message));
    }
  }
  return { section, load: versions };
}

/** The count each figure rests on. */
function basis(key) {
  if (key === "sla_late" || key === "sla_compliance") return "sla_judged";
  if (key === "processing_working_days_median") return "processing_cases";
  if (key === "rating_mean" || key === "low_ratings") return "ratings";
  return "cases";
}
