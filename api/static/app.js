// The dashboard's shell: a router on the URL's fragment, so every view has a link
// (#/new, #/jobs/{id}/questions, #/jobs/{id}, #/jobs, #/analytics) and Back works.

import { jobView } from "./board.js";
import { analyticsView, historyView } from "./insights.js";
import { newJobView, questionsView } from "./intake.js";
import { api, fill, h, notice } from "./lib.js";

const root = document.getElementById("view");
let leaving = [];
let flashed = null;

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** A one-time message for the next view (e.g. "add providers" after the questions). */
function flash(message) {
  if (message === undefined) {
    const value = flashed;
    flashed = null;
    return value;
  }
  flashed = message;
  return null;
}

function markNav(name) {
  document.querySelectorAll("[data-nav]").forEach((link) => {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  });
}

async function home(view) {
  // The newest job first: after `make demo`, the demo's job is one click away.
  try {
    const jobs = await api("/api/jobs?limit=1");
    if (jobs.length) return historyView(view, { title: "Your jobs" });
  } catch (error) {
    fill(view, h("h1", {}, "Haggle"), notice("error", error.message));
    return undefined;
  }
  return newJobView(view, { go });
}

async function route() {
  const hash = location.hash || "#/";
  if (!hash.startsWith("#/")) return; // in-page anchors such as the skip link
  leaving.forEach((leave) => leave());
  leaving = [];
  // Each visit renders into a fresh element: a slower view still loading from the previous
  // visit fills its own detached element, never the page the user has moved on to.
  const view = h("div", { class: "view-body" });
  root.replaceChildren(view);
  const context = { go, flash, onLeave: (fn) => leaving.push(fn) };
  const parts = hash.slice(2).split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "new") {
    markNav("new");
    document.title = "New job · Haggle";
    return newJobView(view, context);
  }
  if (parts[0] === "analytics") {
    markNav("analytics");
    document.title = "Analytics · Haggle";
    return analyticsView(view, context);
  }
  if (parts[0] === "jobs" && parts[1] && parts[2] === "questions") {
    markNav(null);
    document.title = "Questions · Haggle";
    return questionsView(view, { ...context, jobId: parts[1] });
  }
  if (parts[0] === "jobs" && parts[1]) {
    markNav(null);
    document.title = "Job · Haggle";
    return jobView(view, { ...context, jobId: parts[1] });
  }
  if (parts[0] === "jobs") {
    markNav("jobs");
    document.title = "Jobs · Haggle";
    return historyView(view, context);
  }
  markNav(null);
  document.title = "Haggle";
  return home(view);
}

window.addEventListener("hashchange", route);
route();
