// The counter queue (號碼牌): the waiting room's display, the kiosk that issues tickets, and the
// clerk's counter panel (call the next ticket, serve it, link the case it produced).
import { api, ApiError } from "./api.js";
import { announce, facts, h, notice } from "./dom.js";
import { currentLanguage, formatTime, t } from "./i18n.js";

const REFRESH_MS = 5000;

function kindName(kind) { return currentLanguage() === "en" ? kind.name_en : kind.name_zh; }

/** Redraw ``draw`` every few seconds while ``view`` is shown. */
function keepFresh(view, draw) {
  const timer = setInterval(async () => {
    if (!view.isConnected) { clearInterval(timer); return; }
    try { await draw(); } catch (failure) { console.error(failure); }
  }, REFRESH_MS);
}

export async function displayPage(main) {
  document.body.classList.add("display-mode");
  const board = h("div", { id: "queue-board", class: "queue-board", "aria-live": "polite" });
  main.append(h("h1", {}, t("queue_display_title")), board);
  const kinds = Object.fromEntries((await api("/api/queue/services")).map((kind) => [kind.service, kind]));
  async function draw() {
    const state = await api("/api/queue/board");
    board.replaceChildren(
      h("section", { class: "now-serving", "aria-labelledby": "now-serving-heading" },
        h("h2", { id: "now-serving-heading" }, t("queue_now_serving")),
        state.now_serving.length
          ? h("ul", { class: "serving-list" }, state.now_serving.map((item) => h("li", { "data-counter": item.counter },
            h("span", { class: "ticket-number" }, item.number), h("span", { class: "counter-name" }, t("queue_to_counter", { counter: item.counter })))))
          : h("p", {}, t("queue_nobody_called"))),
      h("section", { class: "up-next", "aria-labelledby": "up-next-heading" },
        h("h2", { id: "up-next-heading" }, t("queue_next")),
        h("ul", { class: "kinds-list" }, state.services.map((item) => h("li", { "data-service": item.service },
          h("strong", {}, kindName(kinds[item.service] || item)), " ",
          h("span", { class: "next-numbers" }, item.next.length ? item.next.join("　") : "—"), " ",
          h("span", { class: "waiting-count" }, t("queue_waiting", { n: item.waiting })))))));
  }
  await draw();
  keepFresh(main, draw);
}

export async function kioskPage(main) {
  const kinds = await api("/api/queue/services");
  const result = h("div", { id: "kiosk-ticket", "aria-live": "assertive" });
  main.append(h("h1", {}, t("queue_kiosk_title")), h("p", {}, t("queue_kiosk_intro")),
    h("div", { class: "kiosk-buttons" }, kinds.map((kind) => h("button", { type: "button", class: "kiosk-button",
      "data-service": kind.service, onclick: () => issue(kind) }, h("span", { class: "prefix" }, kind.prefix), " ", kindName(kind)))),
    result);

  async function issue(kind) {
    try {
      const ticket = await api("/api/queue/tickets", { method: "POST", json: { service: kind.service } });
      result.replaceChildren(h("div", { class: "panel ticket-slip" },
        h("p", {}, kindName(kind)),
        h("p", { class: "ticket-number", id: "issued-number" }, ticket.number),
        h("p", {}, t("queue_ahead", { n: ticket.waiting_ahead ?? 0 })),
        h("p", { class: "muted" }, formatTime(ticket.issued_at)),
        h("button", { type: "button", class: "secondary", onclick: () => window.print() }, t("queue_print"))));
      announce(`${t("queue_your_number")} ${ticket.number}`);
    } catch (failure) { result.replaceChildren(notice("bad", failure.message)); }
  }
}

export async function counterQueuePage(main) {
  const counter = h("input", { id: "counter-name", autocomplete: "off", required: true, value: localStorage.getItem("onestop.counter") || "" });
  const current = h("div", { id: "counter-current" });
  const message = h("div", { id: "counter-message" });
  main.append(h("h1", {}, t("queue_counter_title")),
    h("form", { class: "panel actions", novalidate: true, onsubmit: (event) => { event.preventDefault(); callNext(); } },
      h("label", { for: "counter-name" }, t("queue_counter_name")), counter,
      h("button", { type: "submit", id: "call-next" }, t("queue_call_next"))),
    message, current);

  async function act(path, body) {
    try { return await api(path, { method: "POST", json: body }); } catch (failure) {
      message.replaceChildren(notice("bad", failure instanceof ApiError ? failure.message : String(failure)));
      return undefined;
    }
  }

  async function callNext() {
    const name = counter.value.trim();
    if (!name) { message.replaceChildren(notice("bad", `${t("queue_counter_name")}: ${t("err_required")}`)); counter.focus(); return; }
    localStorage.setItem("onestop.counter", name);
    const ticket = await act("/api/queue/calls", { counter: name });
    if (ticket === undefined) return;
    message.replaceChildren(ticket ? notice("ok", t("queue_called", { number: ticket.number, counter: name })) : notice("ok", t("queue_nobody_waiting")));
    show(ticket);
  }

  function show(ticket) {
    if (!ticket) { current.replaceChildren(); return; }
    const caseNumber = h("input", { id: "link-case-number", autocomplete: "off" });
    const buttons = [];
    if (ticket.status === "called") {
      buttons.push(h("button", { type: "button", id: "ticket-start", onclick: async () => show(await act(`/api/queue/tickets/${ticket.id}/start`) ?? ticket) }, t("queue_start")));
      buttons.push(h("button", { type: "button", class: "secondary", id: "ticket-no-show", onclick: async () => show(await act(`/api/queue/tickets/${ticket.id}/no-show`) ?? ticket) }, t("queue_no_show")));
    }
    if (ticket.status === "called" || ticket.status === "serving") {
      buttons.push(h("button", { type: "button", id: "ticket-finish", onclick: async () => show(await act(`/api/queue/tickets/${ticket.id}/finish`) ?? ticket) }, t("queue_finish")));
    }
    current.replaceChildren(h("section", { class: "panel", "aria-labelledby": "ticket-heading" },
      h("h2", { id: "ticket-heading" }, `${t("queue_ticket")} ${ticket.number}`),
      facts([[t("status"), t(`queue_status_${ticket.status}`)], [t("queue_issued_at"), formatTime(ticket.issued_at)],
        [t("queue_waiting_minutes"), ticket.waiting_minutes ?? "—"], [t("queue_service_minutes"), ticket.service_minutes ?? "—"],
        [t("queue_cases"), ticket.case_ids.length ? String(ticket.case_ids.length) : "—"]]),
      h("div", { class: "actions" }, buttons),
      ticket.status === "no_show" ? null : h("form", { class: "actions", novalidate: true, onsubmit: async (event) => {
        event.preventDefault();
        if (!caseNumber.value.trim()) return;
        const linked = await act(`/api/queue/tickets/${ticket.id}/cases`, { case_number: caseNumber.value.trim() });
        if (linked) { message.replaceChildren(notice("ok", t("queue_linked", { number: caseNumber.value.trim() }))); show(linked); }
      } }, h("label", { for: "link-case-number" }, t("queue_link_case")), caseNumber,
      h("button", { type: "submit", class: "secondary", id: "link-case" }, t("queue_link")))));
  }
}
