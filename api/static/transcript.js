// The transcript dialog of one call (with its earlier attempts), and the helpers the call
// board shares with it: status badge and outcome cell.

import {
  OUTCOME_LABELS,
  STATUS_LABELS,
  api,
  clock,
  cost,
  figure,
  fill,
  h,
  money,
  when,
} from "./lib.js";

function transcriptTurns(row) {
  if (row.transcript_turns && row.transcript_turns.length) return row.transcript_turns;
  const turns = [];
  for (const line of (row.call_transcript || "").split("\n")) {
    const match = line.match(/^\d+\.\s*\[(ASSISTANT|USER)\]:\s*(.*)$/);
    if (match)
      turns.push({ role: match[1] === "ASSISTANT" ? "assistant" : "user", text: match[2] });
  }
  return turns;
}

export function statusBadge(row) {
  return h(
    "span",
    { class: `badge status-${row.call_status}` },
    row.call_status === "dialing" || row.call_status === "in_progress"
      ? h("span", { class: "pulse", "aria-hidden": "true" })
      : null,
    // A call that failed on our side was not a line that could not be reached.
    row.call_status === "failed" && row.outcome === "error"
      ? "Call failed"
      : STATUS_LABELS[row.call_status] || row.call_status,
  );
}

export function outcomeText(row) {
  if (row.call_status === "pending" && row.waiting_until) {
    // Outside the callee's calling hours: the call waits (CALLING_HOURS).
    return `Waits until ${when(row.waiting_until)} (calling hours)`;
  }
  if (!row.outcome) return row.call_status === "completed" ? "Ended" : "—";
  return OUTCOME_LABELS[row.outcome] || row.outcome;
}

/** The outcome, which attempt it was, and what happens next (a follow-up, a call-back). */
export function outcomeCell(row) {
  return [
    outcomeText(row),
    row.attempt > 1 ? h("span", { class: "attempt" }, ` (try ${row.attempt})`) : null,
    row.next_attempt_at
      ? h("span", { class: "next-try" }, `Next try ${clock(row.next_attempt_at)}`)
      : null,
    row.callback_requested && row.can_call_again
      ? h("span", { class: "next-try" }, "Asked to be called back")
      : null,
  ];
}

export class TranscriptDialog {
  constructor(host) {
    this.title = h("h2", { id: "transcript-title" });
    this.body = h("div", { class: "transcript-body" });
    this.close = h("button", { type: "button", class: "secondary" }, "Close");
    this.dialog = h(
      "dialog",
      { class: "transcript", "aria-labelledby": "transcript-title" },
      h("div", { class: "dialog-head" }, this.title, this.close),
      this.body,
    );
    this.close.addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => {
      if (this.opener && this.opener.isConnected) this.opener.focus();
      this.providerId = null;
    });
    // A click on the backdrop (outside the box) closes it too.
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    host.append(this.dialog);
    this.providerId = null;
  }

  open(row, opener, jobId) {
    this.opener = opener;
    this.providerId = row.id;
    this.earlier = null;
    this.render(row);
    this.dialog.showModal();
    this.close.focus();
    if (jobId) this.loadEarlier(jobId, row);
  }

  update(row) {
    if (!this.dialog.open || row.id !== this.providerId) return;
    // A reader who could see the newest turn keeps seeing the newest one as turns arrive; one
    // who scrolled up to read is left where they are.
    const following = this.lastTurnInView();
    const before = transcriptTurns(this.row || row).length;
    this.render(row);
    if (following && transcriptTurns(row).length > before) {
      const last = this.body.querySelector(".turns > li:last-child");
      if (last) last.scrollIntoView({ block: "nearest" });
    }
  }

  lastTurnInView() {
    const last = this.body.querySelector(".turns > li:last-child");
    if (!last) return true;
    return last.getBoundingClientRect().top < this.dialog.getBoundingClientRect().bottom;
  }

  render(row) {
    this.row = row;
    fill(this.title, `Call with ${row.name}`);
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", {}, statusBadge(row), " ", outcomeText(row)),
      h("dt", {}, "First quote"),
      h("dd", {}, figure(row, "first_quote", row.estimated_price)),
      h("dt", {}, "Agreed price"),
      h("dd", {}, figure(row, "agreed_price", row.negotiated_price)),
      row.conditions ? [h("dt", {}, "Conditions"), h("dd", {}, row.conditions)] : null,
      row.price_notes ? [h("dt", {}, "How sure"), h("dd", {}, row.price_notes)] : null,
      row.failure_reason ? [h("dt", {}, "Note"), h("dd", {}, row.failure_reason)] : null,
      row.cost !== null && row.cost !== undefined
        ? [h("dt", {}, "Cost"), h("dd", {}, `${cost(row.cost)} (estimate)`)]
        : null,
    );
    const turns = transcriptTurns(row);
    const list = turns.length
      ? h(
          "ol",
          { class: "turns" },
          turns.map((turn) =>
            h(
              "li",
              { class: `turn turn-${turn.role}` },
              h("span", { class: "speaker" }, turn.role === "assistant" ? "Agent" : row.name),
              h("p", {}, turn.text),
            ),
          ),
        )
      : h(
          "p",
          { class: "empty" },
          row.call_status === "completed" || row.call_status === "failed"
            ? "Nothing was said on this call."
            : "Nothing said yet: each turn appears here as soon as it is spoken.",
        );
    fill(this.body, facts, h("h3", {}, "Transcript"), list, this.earlier);
  }

  /** Earlier attempts of this call (kept when it was called again), read from the API. */
  async loadEarlier(jobId, row) {
    this.earlier = null;
    if (!(row.attempt > 1)) return;
    const attempts = await api(`/api/jobs/${encodeURIComponent(jobId)}/attempts`).catch(() => []);
    const mine = attempts.filter((item) => item.provider_id === row.id && item.attempt < row.attempt);
    if (!mine.length || this.providerId !== row.id) return;
    this.earlier = h(
      "section",
      { class: "earlier", "aria-label": "Earlier attempts" },
      h("h3", {}, "Earlier attempts"),
      h(
        "ol",
        { class: "attempts" },
        mine.map((item) =>
          h(
            "li",
            {},
            h(
              "p",
              {},
              h("strong", {}, `Try ${item.attempt}`),
              ` · ${when(item.ended_at || item.dialed_at)} · `,
              OUTCOME_LABELS[item.outcome] || item.outcome || "—",
              item.cost !== null ? ` · ${cost(item.cost)}` : "",
            ),
            item.call_transcript
              ? h(
                  "details",
                  {},
                  h("summary", {}, "Transcript"),
                  h("pre", { class: "transcript-text" }, item.call_transcript),
                )
              : null,
          ),
        ),
      ),
    );
    this.render(this.row || row);
  }
}
