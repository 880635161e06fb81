// The first two steps: describe the job (POST /api/start-job), answer the clarifying
// questions (POST /api/complete-job).

import { api, busy, fill, focusHeading, h, notice } from "./lib.js";

/** The three steps, with the current one marked for assistive technology too. */
export function steps(current) {
  const names = ["Describe the job", "Answer a few questions", "Providers and calls"];
  return h(
    "ol",
    { class: "steps", "aria-label": "Progress" },
    names.map((name, index) =>
      h(
        "li",
        {
          class: index + 1 === current ? "current" : index + 1 < current ? "done" : "",
          "aria-current": index + 1 === current ? "step" : null,
        },
        h("span", { class: "step-number", "aria-hidden": "true" }, String(index + 1)),
        name,
      ),
    ),
  );
}

function field(id, label, control, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", `${hintId} ${id}-error`);
  else control.setAttribute("aria-describedby", `${id}-error`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    h("p", { class: "field-error", id: `${id}-error` }),
  );
}

/** A field's error goes away as soon as the field is edited. */
function clearOnInput(form) {
  form.addEventListener("input", (event) => {
    const control = event.target;
    if (!control.id || !control.hasAttribute("aria-invalid")) return;
    control.removeAttribute("aria-invalid");
    const error = form.querySelector(`#${control.id}-error`);
    if (error) error.textContent = "";
  });
}

function showFieldErrors(form, fields) {
  form.querySelectorAll(".field-error").forEach((el) => {
    el.textContent = "";
  });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const ids = {
    query: "query",
    zip_code: "zip",
    price_limit: "budget",
    house_address: "address",
    followup_minutes: "followups",
  };
  let first = null;
  for (const [key, message] of Object.entries(fields)) {
    const id = ids[key.split(".")[0]];
    const control = id && form.querySelector(`#${id}`);
    if (!control) continue;
    control.setAttribute("aria-invalid", "true");
    form.querySelector(`#${id}-error`).textContent = message;
    first = first || control;
  }
  if (first) first.focus();
}

/** The longest wait before a follow-up, and how many there may be (as the API checks). */
const MAX_FOLLOWUP_MINUTES = 7 * 24 * 60;
const MAX_FOLLOWUPS = 5;

/** "30, 120" as [30, 120] (empty: no follow-up), or `null` when it is not such a list. */
export function parseFollowups(text) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const minutes = parts.map(Number);
  const fine = minutes.every((value) => value > 0 && value <= MAX_FOLLOWUP_MINUTES);
  return fine && minutes.length <= MAX_FOLLOWUPS ? minutes : null;
}

/** `#/new`: the job form. */
export function newJobView(root, { go }) {
  const status = h("div", { class: "form-status" });
  const budget = h("input", {
    id: "budget",
    name: "budget",
    type: "number",
    inputmode: "decimal",
    min: "1",
    step: "any",
    placeholder: "150",
  });
  const noLimit = h("input", { id: "no-limit", name: "no_limit", type: "checkbox" });
  noLimit.addEventListener("change", () => {
    budget.disabled = noLimit.checked;
    if (noLimit.checked) budget.value = "";
  });
  const form = h(
    "form",
    { class: "card form", novalidate: true, "aria-labelledby": "new-job-title" },
    field(
      "query",
      "What do you need done?",
      h("textarea", { id: "query", name: "query", rows: "3", required: true, minlength: "3" }),
      "In your own words, e.g. “fix my toilet, it keeps running”.",
    ),
    h(
      "div",
      { class: "row" },
      field(
        "zip",
        "Zip code",
        h("input", {
          id: "zip",
          name: "zip_code",
          required: true,
          autocomplete: "postal-code",
          inputmode: "numeric",
          maxlength: "12",
        }),
      ),
      field("date", "When do you need it?", h("input", { id: "date", name: "date", type: "date" })),
    ),
    field(
      "address",
      "House address",
      h("input", { id: "address", name: "house_address", autocomplete: "street-address" }),
      "Given to a provider only if they ask for it.",
    ),
    h(
      "fieldset",
      { class: "budget" },
      h("legend", {}, "Budget"),
      h(
        "p",
        { class: "hint", id: "budget-hint" },
        "The most you would pay. The agent aims lower and never agrees above it.",
      ),
      h(
        "div",
        { class: "row align-end" },
        h(
          "div",
          { class: "field" },
          h("label", { for: "budget" }, "Up to (US dollars)"),
          budget,
          h("p", { class: "field-error", id: "budget-error" }),
        ),
        h("div", { class: "check" }, noLimit, h("label", { for: "no-limit" }, "No limit")),
      ),
    ),
    field(
      "followups",
      "If the line is busy or nobody answers, call again after (minutes)",
      h("input", {
        id: "followups",
        name: "followup_minutes",
        value: "30, 120",
        inputmode: "numeric",
        autocomplete: "off",
        maxlength: "60",
      }),
      "One number per try, each counted from the call before: “30, 120” tries twice. " +
        "Follow-ups wait for calling hours and stop after the date above. " +
        "Leave it empty to never call again by itself.",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Next: a few questions"),
    ),
    status,
  );
  budget.setAttribute("aria-describedby", "budget-hint budget-error");
  clearOnInput(form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(status);
    const data = new FormData(form);
    const query = String(data.get("query") || "").trim();
    const zip = String(data.get("zip_code") || "").trim();
    const local = {};
    if (query.length < 3) local.query = "Tell us what you need done.";
    if (!zip) local.zip_code = "Enter the zip code, so the agent calls local providers.";
    if (!noLimit.checked && budget.value && !(Number(budget.value) > 0)) {
      local.price_limit = "Enter a positive amount, or tick No limit.";
    }
    const followups = parseFollowups(String(data.get("followup_minutes") || ""));
    if (followups === null) {
      local.followup_minutes =
        `Enter up to ${MAX_FOLLOWUPS} numbers of minutes, e.g. “30, 120” ` +
        "(each a week or less), or leave it empty.";
    }
    showFieldErrors(form, local);
    if (Object.keys(local).length) return;
    const body = {
      query,
      house_address: String(data.get("house_address") || "").trim(),
      zip_code: zip,
      price_limit: noLimit.checked || !budget.value ? "no_limit" : Number(budget.value),
      date_needed: String(data.get("date") || ""),
      followup_minutes: followups,
    };
    try {
      const answer = await busy(form, "Thinking of questions…", () =>
        api("/api/start-job", { method: "POST", body }),
      );
      go(`#/jobs/${answer.job_id}/questions`);
    } catch (error) {
      showFieldErrors(form, error.fields || {});
      fill(status, notice("error", error.message));
    }
  });

  fill(
    root,
    h("h1", { id: "new-job-title" }, "New job"),
    steps(1),
    h(
      "p",
      { class: "lead" },
      "Describe the job. Haggle asks a few questions, then phones local providers and " +
        "negotiates the price for you.",
    ),
    form,
  );
  focusHeading(root);
}

/** What the job page says first, after the questions: where the providers come from. */
function nextStep(answer) {
  const count = answer.providers.length;
  if (answer.providers_source === "none") {
    return {
      kind: "info",
      text:
        "Now add the providers to call: type them in, or paste a list. " +
        "(No provider search is set up on this server.)",
      untilProviders: true,
    };
  }
  if (answer.providers_source === "search" && count) {
    return {
      kind: "success",
      text:
        `Found ${count} provider${count === 1 ? "" : "s"} near ${answer.job.zip_code}. ` +
        "Check the list, then start the calls.",
    };
  }
  return answer.message ? { kind: "info", text: answer.message, untilProviders: !count } : null;
}

/** `#/jobs/{id}/questions`: the clarifying questions. */
export async function questionsView(root, { go, jobId, flash }) {
  fill(root, h("p", { class: "loading" }, "Loading the questions…"));
  let job;
  try {
    job = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
  } catch (error) {
    fill(root, h("h1", {}, "Job not found"), notice("error", error.message));
    focusHeading(root);
    return;
  }
  const status = h("div", { class: "form-status" });
  const questions = job.questions || [];
  const form = h(
    "form",
    { class: "card form", novalidate: true, "aria-labelledby": "questions-title" },
    questions.length
      ? questions.map((question) =>
          h(
            "div",
            { class: "field" },
            h("label", { for: `answer-${question.id}` }, question.question),
            h("textarea", {
              id: `answer-${question.id}`,
              name: question.id,
              rows: "2",
              maxlength: "2000",
            }),
          ),
        )
      : h("p", {}, "No questions for this job: go straight on to the providers."),
    h(
      "p",
      { class: "hint" },
      "Answer what you can; the agent reads your answers before each call.",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Next: providers"),
    ),
    status,
  );
  for (const [key, value] of Object.entries(job.clarifications || {})) {
    const control = form.querySelector(`[name="${CSS.escape(key)}"]`);
    if (control) control.value = value;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(status);
    const answers = {};
    for (const question of questions) {
      answers[question.id] = String(form.elements[question.id].value || "").trim();
    }
    try {
      const answer = await busy(form, "Saving…", () =>
        api("/api/complete-job", { method: "POST", body: { job_id: job.job_id, answers } }),
      );
      flash(nextStep(answer));
      go(`#/jobs/${job.job_id}`);
    } catch (error) {
      fill(status, notice("error", error.message));
    }
  });
  const task = job.task || "provider";
  fill(
    root,
    h("h1", { id: "questions-title" }, `A few questions for the ${task}`),
    steps(2),
    h("p", { class: "lead" }, "You asked: ", h("q", {}, job.original_query || job.problem)),
    form,
  );
  focusHeading(root);
}
