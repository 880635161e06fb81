// Step three: the job's providers (add them, or paste a list), starting the calls, and the
// live call board fed by server-sent events (GET /api/jobs/{id}/events), with a transcript
// per call that fills in turn by turn while the call runs.

import {
  OUTCOME_LABELS,
  STATUS_LABELS,
  announce,
  api,
  bestOf,
  busy,
  clock,
  cost,
  fill,
  focusHeading,
  h,
  isAgreed,
  isOver,
  isSettled,
  figure,
  isUnsure,
  money,
  notice,
  savingsOf,
  when,
} from "./lib.js";
import { steps } from "./intake.js";
import { TranscriptDialog, outcomeCell, statusBadge } from "./transcript.js";

/** Rows from pasted text: one provider a line, "name, phone" (comma, tab, semicolon or |).
 * `skipped` are lines with no number at all (a header, say); `invalid` are lines whose number
 * is too short to be a phone number. */
export function parseProviderList(text) {
  const providers = [];
  const skipped = [];
  const invalid = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const parts = line
      .split(/[,;\t|]/)
      .map((part) =>
        part
          .trim()
          .replace(/^"(.*)"$/, "$1")
          .trim(),
      )
      .filter(Boolean);
    const phoneAt = parts.findLastIndex((part) => (part.match(/\d/g) || []).length >= 7);
    if (phoneAt < 1) {
      const numberAt = parts.findLastIndex((part) => /\d/.test(part));
      if (numberAt >= 1) {
        invalid.push({ line: index + 1, number: parts[numberAt] });
      } else if (!/^(name|provider|business)\b/i.test(line)) {
        skipped.push({ line: index + 1, text: line });
      }
      return;
    }
    providers.push({
      service_provider: parts.slice(0, phoneAt).join(", "),
      phone_number: parts[phoneAt],
      line: index + 1,
    });
  });
  return { providers, skipped, invalid };
}

class CallBoard {
  constructor(job, dialog) {
    this.job = job;
    this.dialog = dialog;
    this.rows = new Map();
    this.trs = new Map();
    this.startedWith = new Set();
    this.tbody = h("tbody");
    this.best = h("div", { class: "best-deal", "aria-live": "polite" });
    this.empty = h("p", { class: "empty" }, "No providers yet. Add the ones to call above.");
    this.startButton = h("button", { type: "button", class: "primary" }, "Start calls");
    this.startStatus = h("div", { class: "form-status" });
    this.liveState = h("span", { class: "live", dataset: { state: "connecting" } }, "Connecting…");
    this.connection = "connecting";
    this.costLine = h("p", { class: "cost-line" });
    this.costKey = null;
    this.exportLink = h(
      "a",
      {
        class: "button secondary export",
        href: `/api/jobs/${encodeURIComponent(job.job_id)}/export.csv`,
        download: "",
      },
      "Export results (CSV)",
    );
    this.cancelButton = h("button", { type: "button" }, "Cancel calls");
    this.cancelButton.addEventListener("click", () => this.cancel());
    this.table = h(
      "table",
      { class: "board" },
      h("caption", { class: "visually-hidden" }, "Calls to providers, updated live"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "Provider",
            "Status",
            "Outcome",
            "First quote",
            "Agreed",
            "Saved",
            "Cost",
            "Transcript",
            "Next step",
          ].map((name) => h("th", { scope: "col" }, name)),
        ),
      ),
      this.tbody,
    );
    this.startButton.addEventListener("click", () => this.start());
  }

  set(row, { live = false } = {}) {
    const before = this.rows.get(row.id);
    this.rows.set(row.id, row);
    let tr = this.trs.get(row.id);
    if (!tr) {
      tr = this.newRow(row);
      this.trs.set(row.id, tr);
      this.tbody.append(tr);
    }
    this.renderRow(tr, row);
    this.dialog.update(row);
    if (live && before && before.call_status !== row.call_status) {
      const price = isAgreed(row) ? `, ${money(row.negotiated_price)}` : "";
      const outcome = row.outcome ? `, ${OUTCOME_LABELS[row.outcome] || row.outcome}` : "";
      announce(`${row.name}: ${STATUS_LABELS[row.call_status]}${outcome}${price}`);
    }
    this.refresh();
  }

  newRow(row) {
    const button = h("button", { type: "button", class: "link" }, "View");
    button.addEventListener("click", () =>
      this.dialog.open(this.rows.get(row.id), button, this.job.job_id),
    );
    const again = h("button", { type: "button", class: "secondary small" }, "Call again");
    again.addEventListener("click", () => this.callAgain(row.id, again));
    const tr = h("tr", { dataset: { providerId: String(row.id) } });
    tr.transcriptButton = button;
    tr.againButton = again;
    return tr;
  }

  async callAgain(providerId, button) {
    const row = this.rows.get(providerId);
    button.disabled = true;
    fill(this.startStatus);
    try {
      const path =
        `/api/jobs/${encodeURIComponent(this.job.job_id)}/providers/` +
        `${providerId}/call-again`;
      const fresh = await api(path, { method: "POST" });
      this.set({ ...row, ...fresh, transcript_turns: [], call_transcript: null });
      fill(this.startStatus, notice("success", `Calling ${row.name} again.`));
    } catch (error) {
      button.disabled = false;
      fill(this.startStatus, notice("error", error.message));
    }
  }

  renderRow(tr, row) {
    tr.dataset.status = row.call_status;
    tr.dataset.outcome = row.outcome || "";
    const saved = savingsOf(row);
    const button = tr.transcriptButton;
    button.setAttribute("aria-label", `Transcript of the call with ${row.name}`);
    const again = tr.againButton;
    again.disabled = false;
    fill(again, row.callback_requested ? "Call back" : "Call again");
    again.setAttribute(
      "aria-label",
      `${row.callback_requested ? "Call back" : "Call again"}: ${row.name}`,
    );
    fill(
      tr,
      h(
        "th",
        { scope: "row", "data-label": "Provider" },
        h("span", { class: "name" }, row.name),
        h("span", { class: "phone" }, row.phone),
      ),
      h("td", { "data-label": "Status" }, statusBadge(row)),
      h("td", { "data-label": "Outcome", class: "outcome" }, outcomeCell(row)),
      h(
        "td",
        { "data-label": "First quote", class: "num" },
        figure(row, "first_quote", row.estimated_price),
      ),
      h(
        "td",
        { "data-label": "Agreed", class: "num price" },
        figure(row, "agreed_price", row.negotiated_price),
      ),
      h("td", { "data-label": "Saved", class: "num" }, saved !== null ? money(saved) : "—"),
      h("td", { "data-label": "Cost", class: "num cost" }, cost(row.cost)),
      h("td", { "data-label": "Transcript" }, button),
      h("td", { "data-label": "Next step" }, row.can_call_again ? again : "—"),
    );
  }

  refresh() {
    const rows = [...this.rows.values()];
    const best = bestOf(rows);
    for (const [id, tr] of this.trs) {
      const isBest = best !== null && id === best.id;
      tr.classList.toggle("best", isBest);
      const cell = tr.querySelector("th");
      const tag = cell.querySelector(".best-tag");
      if (isBest && !tag) cell.append(h("span", { class: "best-tag" }, "Best deal"));
      if (!isBest && tag) tag.remove();
    }
    if (best) {
      const saved = savingsOf(best);
      fill(
        this.best,
        h("strong", {}, "Best deal: "),
        `${best.name} at ${money(best.negotiated_price)}`,
        isUnsure(best, "agreed_price") ? " (unsure: check the transcript)" : "",
        saved !== null && saved > 0
          ? ` (first quote ${money(best.estimated_price)}, saved ${money(saved)})`
          : "",
        best.conditions ? ` — ${best.conditions}` : "",
      );
    } else {
      fill(this.best);
    }
    const done = rows.filter(
      (row) => row.call_status === "completed" || row.call_status === "failed",
    );
    const live = rows.filter(
      (row) => row.call_status === "dialing" || row.call_status === "in_progress",
    );
    if (this.progress) {
      const moving = live.length ? `, ${live.length} in progress` : "";
      fill(
        this.progress,
        rows.length ? `${done.length} of ${rows.length} calls finished${moving}` : "",
      );
    }
    this.empty.hidden = rows.length > 0;
    if (rows.length && this.onRows) this.onRows();
    this.table.hidden = rows.length === 0;
    // A call placed again is queued at once: only first attempts wait for "Start calls".
    const waiting = rows.filter(
      (row) => row.call_status === "pending" && row.attempt <= 1 && !this.startedWith.has(row.id),
    );
    this.startButton.disabled = waiting.length === 0;
    this.cancelButton.hidden = !rows.some(
      (row) => row.call_status !== "completed" && row.call_status !== "failed",
    );
    fill(this.startButton, waiting.length ? `Start calls (${waiting.length})` : "Start calls");
    // Every call over: the start's banner has said its piece, even while a follow-up waits
    // (hours, maybe), which the badge then names instead of "Live".
    const over = rows.length > 0 && rows.every(isOver);
    if (over && this.startedWith.size) fill(this.startStatus);
    this.settled = over && rows.every(isSettled);
    const next = over ? rows.map((row) => row.next_attempt_at).filter(Boolean).sort()[0] : null;
    this.nextTry = next || null;
    this.showConnection();
    this.exportLink.hidden = !rows.some((row) => row.call_status !== "pending" || row.attempt > 1);
    const key = rows.map((row) => `${row.id}:${row.attempt}:${row.call_status}:${row.cost}`).join();
    if (key !== this.costKey) {
      this.costKey = key;
      this.loadCost();
    }
  }

  /** The stream's state, or "All calls ended" once every call is over (no follow-up waits). */
  setConnection(state) {
    this.connection = state;
    this.showConnection();
  }

  showConnection() {
    const quiet = this.connection !== "gone" && this.connection !== "reconnecting";
    let state = this.connection;
    if (quiet && this.settled) state = "ended";
    else if (quiet && this.nextTry) state = "waiting";
    const text = {
      connecting: "Connecting…",
      live: "Live",
      reconnecting: "Reconnecting…",
      ended: "All calls ended",
      waiting: `Calls ended; next try ${clock(this.nextTry)}`,
      gone: "Job deleted",
    }[state];
    if (this.liveState.dataset.state !== state || this.liveState.textContent !== text) {
      this.liveState.dataset.state = state;
      fill(this.liveState, text);
    }
  }

  async loadCost() {
    const placed = [...this.rows.values()].some(
      (row) => row.call_status !== "pending" || row.attempt > 1,
    );
    if (!placed) {
      fill(this.costLine);
      return;
    }
    try {
      const costs = await api(`/api/jobs/${encodeURIComponent(this.job.job_id)}/costs`);
      fill(
        this.costLine,
        `Calls so far cost ${cost(costs.cost)} (${costs.attempts} attempt` +
          `${costs.attempts === 1 ? "" : "s"}, estimate).`,
        ` All your calls of the last 24 hours: ${cost(costs.account_cost_last_24_hours)}`,
        costs.daily_spend_cap !== null ? ` of a ${cost(costs.daily_spend_cap)} daily cap.` : ".",
      );
    } catch {
      fill(this.costLine);
    }
  }

  async cancel() {
    this.cancelButton.disabled = true;
    fill(this.startStatus);
    try {
      const answer = await api(`/api/jobs/${encodeURIComponent(this.job.job_id)}/cancel`, {
        method: "POST",
      });
      const live = answer.in_progress ? `, ${answer.in_progress} in progress hung up` : "";
      fill(this.startStatus, notice("success", `Canceled: ${answer.canceled} calls dropped${live}.`));
    } catch (error) {
      fill(this.startStatus, notice("error", error.message));
    }
    this.cancelButton.disabled = false;
    this.refresh();
  }

  async start() {
    const waiting = [...this.rows.values()].filter((row) => row.call_status === "pending");
    this.startButton.disabled = true;
    fill(this.startStatus);
    try {
      const answer = await api(`/api/start-calls/${encodeURIComponent(this.job.job_id)}`, {
        method: "POST",
      });
      waiting.forEach((row) => this.startedWith.add(row.id));
      fill(this.startStatus, notice("success", answer.message || "Calls started."));
    } catch (error) {
      const text =
        error.status === 503
          ? "The voice service cannot be reached, so no call was placed. Is it running?"
          : error.message;
      fill(this.startStatus, notice("error", text));
    }
    this.refresh();
  }
}

function providerForm(job, board) {
  const status = h("div", { class: "form-status" });
  const name = h("input", {
    id: "provider-name",
    name: "name",
    autocomplete: "organization",
    required: true,
  });
  const phone = h("input", {
    id: "provider-phone",
    name: "phone",
    type: "tel",
    autocomplete: "tel",
    required: true,
  });
  const add = h(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": "Add a provider" },
    h("div", { class: "field" }, h("label", { for: "provider-name" }, "Provider name"), name),
    h("div", { class: "field" }, h("label", { for: "provider-phone" }, "Phone number"), phone),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "secondary" }, "Add provider"),
    ),
  );
  const paste = h("textarea", {
    id: "provider-list",
    rows: "4",
    placeholder: "Ace Plumbing, (415) 555-0100\nBay Rooter, 415-555-0101",
    "aria-describedby": "provider-list-hint",
  });
  const importForm = h(
    "form",
    { class: "import-form", novalidate: true, "aria-label": "Import providers" },
    h("label", { for: "provider-list" }, "Paste a list (CSV)"),
    h("p", { class: "hint", id: "provider-list-hint" }, "One provider a line: name, phone number."),
    paste,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "secondary" }, "Import list"),
    ),
  );

  async function send(form, providers, lines) {
    fill(status);
    const path = `/api/jobs/${encodeURIComponent(job.job_id)}/providers`;
    try {
      const stored = await busy(form, "Adding…", () =>
        api(path, {
          method: "POST",
          body: {
            providers: providers.map(({ service_provider, phone_number }) => ({
              service_provider,
              phone_number,
            })),
          },
        }),
      );
      stored.forEach((row) => board.set({ ...row, transcript_turns: [], call_transcript: null }));
      const repeated = providers.length - stored.length;
      const text =
        `${stored.length} provider${stored.length === 1 ? "" : "s"} added` +
        (repeated
          ? `; ${repeated} already on the list (same number), not added again` +
            " (to phone one again, use Call again on its row)."
          : ".");
      fill(status, notice("success", text));
      return true;
    } catch (error) {
      const bad = Array.isArray(error.detail)
        ? error.detail
            .filter((item) => Array.isArray(item.loc) && item.loc[1] === "providers")
            .map((item) => {
              const where = lines ? `Line ${lines[item.loc[2]]}` : "The phone number";
              return `${where}: ${String(item.msg).replace(/^Value error, /, "")}`;
            })
        : [];
      fill(
        status,
        notice(
          "error",
          bad.length
            ? h(
                "ul",
                {},
                bad.map((line) => h("li", {}, line)),
              )
            : error.message,
        ),
      );
      return false;
    }
  }

  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim() || !phone.value.trim()) {
      fill(status, notice("error", "Enter the provider's name and phone number."));
      (name.value.trim() ? phone : name).focus();
      return;
    }
    const ok = await send(add, [
      { service_provider: name.value.trim(), phone_number: phone.value.trim() },
    ]);
    if (ok) {
      add.reset();
      name.focus();
    }
  });
  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { providers, skipped, invalid } = parseProviderList(paste.value);
    if (invalid.length) {
      // All or none, as the API and the command line: fix the list, then import it whole.
      fill(
        status,
        notice(
          "error",
          h("p", {}, "Nothing was imported: fix these lines first."),
          h(
            "ul",
            {},
            invalid.map((row) =>
              h("li", {}, `Line ${row.line}: “${row.number}” is not a valid phone number.`),
            ),
          ),
        ),
      );
      paste.focus();
      return;
    }
    if (!providers.length) {
      fill(status, notice("error", "No “name, phone” lines found in the list."));
      paste.focus();
      return;
    }
    const ok = await send(
      importForm,
      providers,
      providers.map((row) => row.line),
    );
    if (ok) {
      paste.value = "";
      if (skipped.length) {
        status.append(
          notice(
            "info",
            `Skipped line ${skipped.map((row) => row.line).join(", ")}: no phone number on it.`,
          ),
        );
      }
    }
  });
  // Offline mode: the simulated providers of the job's trade, one click away.
  const simulated = h("form", {
    class: "inline-form",
    hidden: true,
    "aria-label": "Add the simulated providers",
  });
  const offerSimulated = async () => {
    let offer;
    try {
      offer = await api(`/api/jobs/${encodeURIComponent(job.job_id)}/simulated-providers`);
    } catch {
      return; // the page has gone, or the API is away: nothing to offer
    }
    if (!offer.providers.length) return; // real calls, or the voice service is away
    fill(
      simulated,
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "submit", class: "secondary" },
          `Add the simulated providers (${offer.providers.length}, ${offer.trade})`,
        ),
      ),
    );
    simulated.addEventListener("submit", (event) => {
      event.preventDefault();
      send(simulated, offer.providers);
    });
    simulated.hidden = false;
  };
  offerSimulated();
  return h(
    "section",
    { class: "card", "aria-labelledby": "providers-title" },
    h("h2", { id: "providers-title" }, "Providers to call"),
    simulated,
    add,
    h("details", { class: "import" }, h("summary", {}, "Import a list"), importForm),
    status,
  );
}

/** The homeowner's answers to the clarifying questions, each with its question. */
function answers(job) {
  return h(
    "dl",
    { class: "answers" },
    job.context_pairs.map((pair) => [
      h("dt", {}, pair.question || "Note"),
      h("dd", {}, pair.answer),
    ]),
  );
}

/** "30 min, then 2 h after the call before" or "None", for the job's follow-up schedule. */
function followupText(minutes) {
  if (!minutes || !minutes.length) return "None: a busy or unanswered line is not called again";
  const span = (value) =>
    value >= 60 && value % 60 === 0 ? `${value / 60} h` : `${Number(value.toFixed(1))} min`;
  const tries = { 1: "once", 2: "twice" }[minutes.length] || `${minutes.length} times`;
  return (
    `A busy or unanswered line is called again ${tries}: ` +
    `${minutes.map(span).join(", then ")} after the call before`
  );
}

function summary(job) {
  const budget = job.max_price === null ? "No limit" : money(job.max_price);
  return h(
    "dl",
    { class: "summary" },
    h("dt", {}, "The agent will say"),
    h("dd", {}, h("q", {}, job.problem)),
    h("dt", {}, "Zip code"),
    h("dd", {}, job.zip_code),
    h("dt", {}, "Budget"),
    h("dd", {}, budget),
    job.date_needed ? [h("dt", {}, "Needed by"), h("dd", {}, job.date_needed)] : null,
    job.house_address ? [h("dt", {}, "Address"), h("dd", {}, job.house_address)] : null,
    (job.context_pairs || []).length ? [h("dt", {}, "Your answers"), h("dd", {}, answers(job))] : null,
    h("dt", {}, "Follow-ups"),
    h("dd", { class: "followups" }, followupText(job.followup_minutes)),
    h("dt", {}, "Created"),
    h("dd", {}, when(job.created_at)),
  );
}

/** `#/jobs/{id}`: providers, calls and results, live. */
export async function jobView(root, { jobId, flash, onLeave }) {
  fill(root, h("p", { class: "loading" }, "Loading the job…"));
  const id = encodeURIComponent(jobId);
  let job;
  let rows;
  try {
    [job, rows] = await Promise.all([api(`/api/jobs/${id}`), api(`/api/providers/${id}/status`)]);
  } catch (error) {
    fill(root, h("h1", {}, "Job not found"), notice("error", error.message));
    focusHeading(root);
    return;
  }
  const dialog = new TranscriptDialog(document.body);
  const board = new CallBoard(job, dialog);
  const title = h(
    "h1",
    {},
    job.task
      ? `${job.task[0].toUpperCase()}${job.task.slice(1)} for ${job.zip_code}`
      : `Job for ${job.zip_code}`,
  );
  const about = h("div", { class: "card" }, summary(job));
  const liveState = board.liveState;
  board.progress = h("p", { class: "progress" });
  const message =
    job.status === "collecting_info" && !rows.length
      ? { kind: "info", text: "The clarifying questions are not answered yet.", questions: true }
      : flash();
  const flashed =
    message && !(message.untilProviders && rows.length)
      ? notice(
          message.kind,
          message.text,
          message.questions
            ? [" ", h("a", { href: `#/jobs/${job.job_id}/questions` }, "Answer them")]
            : null,
        )
      : null;
  if (flashed && message.untilProviders) board.onRows = () => flashed.remove();
  fill(
    root,
    title,
    steps(3),
    flashed,
    about,
    providerForm(job, board),
    h(
      "section",
      { class: "card", "aria-labelledby": "calls-title" },
      h("div", { class: "section-head" }, h("h2", { id: "calls-title" }, "Calls"), liveState),
      h(
        "div",
        { class: "start" },
        board.startButton,
        board.cancelButton,
        board.progress,
        board.exportLink,
      ),
      board.startStatus,
      board.best,
      board.costLine,
      board.empty,
      h("div", { class: "table-wrap" }, board.table),
    ),
  );
  rows.forEach((row) => board.set(row));
  board.refresh();
  focusHeading(root);

  const source = new EventSource(`/api/jobs/${id}/events`);
  let renewing = false; // the server ends each stream after a while; EventSource reconnects
  source.addEventListener("open", () => {
    renewing = false;
    board.setConnection("live");
  });
  source.addEventListener("reconnect", () => {
    renewing = true;
  });
  source.addEventListener("error", () => {
    if (renewing && source.readyState === EventSource.CONNECTING) return;
    board.setConnection("reconnecting");
  });
  source.addEventListener("job", (event) => {
    job = JSON.parse(event.data);
    board.job = job;
    fill(about, summary(job));
  });
  source.addEventListener("provider", (event) => {
    // Rows were read before the stream opened: any difference is news, even in a snapshot.
    board.set(JSON.parse(event.data), { live: true });
  });
  source.addEventListener("gone", () => {
    source.close();
    board.setConnection("gone");
  });
  onLeave(() => {
    source.close();
    if (dialog.dialog.open) dialog.dialog.close();
    dialog.dialog.remove();
  });
}
