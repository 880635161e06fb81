// Small helpers shared by the dashboard's views: DOM building, API calls, formatting.
// Text always goes in as text nodes (never innerHTML), so nothing a provider or a model
// wrote can become markup.

/** Build an element: h("button", {class: "primary", onclick: fn}, "Save"). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** SVG element with attributes (charts). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error the API answered with: `status`, and `fields` mapping a body field to its message. */
export class ApiError extends Error {
  constructor(status, message, fields = {}, detail = null) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.detail = detail;
  }
}

function describe(detail) {
  if (typeof detail === "string") return { message: detail, fields: {} };
  if (Array.isArray(detail)) {
    const fields = {};
    const lines = [];
    for (const item of detail) {
      const loc = (item.loc || []).filter((part) => part !== "body");
      const msg = String(item.msg || "is not valid").replace(/^Value error, /, "");
      const key = loc.join(".");
      if (key && !(key in fields)) fields[key] = msg;
      lines.push(key ? `${key}: ${msg}` : msg);
    }
    return { message: lines.join("; "), fields };
  }
  return { message: "Something went wrong.", fields: {} };
}

/** Call the job API; resolves to the JSON body, rejects with `ApiError`. */
export async function api(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "The job API cannot be reached. Is it running?");
  }
  if (response.status === 401) {
    // Signed out (or the session ended): to the sign-in page.
    location.assign("/login");
    throw new ApiError(401, "Please sign in.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const { message, fields } = describe(data && data.detail);
    throw new ApiError(response.status, message, fields, data && data.detail);
  }
  return data;
}

const wholeDollars = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  maximumFractionDigits: 0,
});
const cents = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** "$150" or "$89.50"; an em dash for none. */
export function money(value) {
  if (value === null || value === undefined) return "—";
  return Number.isInteger(value) ? wholeDollars.format(value) : cents.format(value);
}

/** "75%" from 0.75; an em dash for none. */
export function percent(value) {
  if (value === null || value === undefined) return "—";
  return `${Math.round(value * 100)}%`;
}

/** A short local date and time. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export const STATUS_LABELS = {
  pending: "Waiting",
  dialing: "Dialing",
  in_progress: "On the call",
  completed: "Call ended",
  failed: "Not reached",
};

export const OUTCOME_LABELS = {
  agreed: "Price agreed",
  no_agreement: "No agreement",
  no_answer: "No answer",
  busy: "Busy",
  voicemail: "Voicemail",
  dial_error: "Could not dial",
  error: "Error",
  declined: "Declined the job",
  canceled: "Canceled",
};

/** "Plumber: my toilet keeps running · 94110": jobs told apart by what they are about. */
export function jobTitle(job, length = 48) {
  const trade = job.task ? job.task[0].toUpperCase() + job.task.slice(1) : "Job";
  const problem = (job.problem || "").trim();
  const short = problem.length > length ? `${problem.slice(0, length - 1).trimEnd()}…` : problem;
  return short ? `${trade}: ${short} · ${job.zip_code}` : `${trade} · ${job.zip_code}`;
}

/** An estimated cost: "$0.12" (cents shown even when small); an em dash for none. */
export function cost(value) {
  if (value === null || value === undefined) return "—";
  return cents.format(value);
}

/** A time of day, with the date when it is not today. */
export function clock(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { timeStyle: "short" })
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Whether a call is over (a follow-up may still wait). */
export function isOver(row) {
  return row.call_status === "completed" || row.call_status === "failed";
}

/** Whether a call is over and no follow-up waits. */
export function isSettled(row) {
  return isOver(row) && !row.next_attempt_at;
}

/** Whether a provider row has an agreed price. */
export function isAgreed(row) {
  if (row.negotiated_price === null || row.negotiated_price === undefined) return false;
  return row.outcome === "agreed" || (!row.outcome && row.call_status === "completed");
}

/**
 * First quote minus agreed price: the server's `saving`, which is null unless the first quote is
 * credible and the saving positive. A row without it (an older API) gets the same rule here.
 */
export function savingsOf(row) {
  if (!isAgreed(row)) return null;
  if ("saving" in row) return row.saving ?? null;
  if (row.estimated_price === null || row.estimated_price === undefined) return null;
  const saved = Math.round((row.estimated_price - row.negotiated_price) * 100) / 100;
  return saved > 0 ? saved : null;
}

/** How sure the price reader is of a figure ("agreed_price" or "first_quote"): its level. */
export function sureness(row, figure) {
  return (row.price_confidence && row.price_confidence[figure]) || null;
}

/** Whether a figure is one the reader is not sure of (medium or low). */
export function isUnsure(row, figure) {
  const level = sureness(row, figure);
  return level === "medium" || level === "low";
}

/** The row with the lowest agreed price (the earliest on a tie), or null. */
export function bestOf(rows) {
  let best = null;
  for (const row of rows) {
    if (!isAgreed(row)) continue;
    if (
      !best ||
      row.negotiated_price < best.negotiated_price ||
      (row.negotiated_price === best.negotiated_price && row.id < best.id)
    ) {
      best = row;
    }
  }
  return best;
}

/** Tell screen readers something (the page has one polite live region). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick is re-read even when the text repeats.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** Move focus to the view's heading, so keyboard and screen-reader users start there. */
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

/** A message box: kind is "error", "info" or "success". Errors are announced at once. */
export function notice(kind, ...children) {
  return h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    ...children,
  );
}

/** Disable a form's controls while `work` runs, with a busy label on its submit button. */
export async function busy(form, label, work) {
  const button = form.querySelector("button[type=submit]");
  const original = button ? button.textContent : "";
  const controls = [...form.elements];
  const wasDisabled = controls.map((control) => control.disabled);
  controls.forEach((control) => {
    control.disabled = true;
  });
  form.setAttribute("aria-busy", "true");
  if (button) button.textContent = label;
  try {
    return await work();
  } finally {
    controls.forEach((control, index) => {
      control.disabled = wasDisabled[index];
    });
    form.removeAttribute("aria-busy");
    if (button) button.textContent = original;
  }
}

/**
 * A price with a mark when the reader is not sure of it: "$200 (unsure)", the reasons in the
 * tooltip and, for screen readers, in the text.
 */
export function figure(row, which, value) {
  if (value === null || value === undefined || !isUnsure(row, which)) return money(value);
  const why = row.price_notes || "the price reader is not sure of this figure";
  return h(
    "span",
    { class: "unsure", title: why },
    money(value),
    h("span", { class: "unsure-mark", "aria-hidden": "true" }, " ?"),
    h("span", { class: "visually-hidden" }, ` (unsure: ${why})`),
  );
}
