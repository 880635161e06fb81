// Job history and analytics across jobs (GET /api/analytics), with an inline SVG chart.

import {
  api,
  cost,
  fill,
  focusHeading,
  h,
  jobTitle,
  money,
  notice,
  percent,
  svg,
  when,
} from "./lib.js";

async function load(root, limit) {
  fill(root, h("p", { class: "loading" }, "Loading…"));
  try {
    return await api(`/api/analytics?limit=${limit}`);
  } catch (error) {
    fill(root, h("h1", {}, "Jobs"), notice("error", error.message));
    focusHeading(root);
    return null;
  }
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

function jobStatus(job) {
  if (job.in_progress)
    return `${job.in_progress} call${job.in_progress === 1 ? "" : "s"} in progress`;
  if (!job.providers)
    return job.status === "collecting_info" ? "Questions not answered" : "No providers yet";
  if (!job.calls_placed) return "Not called yet";
  return `${job.calls_placed} of ${job.providers} called`;
}

function historyTable(jobs) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "history" },
      h("caption", { class: "visually-hidden" }, "Jobs, newest first"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Job", "Created", "Calls", "Agreed", "Best deal", "Cost"].map((name) =>
            h("th", { scope: "col" }, name),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        jobs.map((job) => {
          const target =
            job.status === "collecting_info" && !job.providers
              ? `#/jobs/${job.job_id}/questions`
              : `#/jobs/${job.job_id}`;
          return h(
            "tr",
            { dataset: { jobId: job.job_id } },
            h(
              "th",
              { scope: "row", "data-label": "Job" },
              h("a", { href: target, title: job.problem }, jobTitle(job)),
            ),
            h("td", { "data-label": "Created" }, when(job.created_at)),
            h("td", { "data-label": "Calls" }, jobStatus(job)),
            h("td", { "data-label": "Agreed", class: "num" }, String(job.agreed)),
            h(
              "td",
              { "data-label": "Best deal" },
              job.best
                ? [
                    h("strong", {}, money(job.best.price)),
                    ` ${job.best.name}`,
                    job.best.savings
                      ? h("span", { class: "saved" }, ` saved ${money(job.best.savings)}`)
                      : "",
                  ]
                : "—",
            ),
            h("td", { "data-label": "Cost", class: "num" }, job.attempts ? cost(job.cost) : "—"),
          );
        }),
      ),
    ),
  );
}

/** `#/jobs`: every job, newest first. */
const SHOW = {
  all: { label: "All jobs", test: () => true },
  deal: { label: "With an agreed price", test: (job) => job.agreed > 0 },
  live: { label: "Calls in progress", test: (job) => job.in_progress > 0 },
  waiting: { label: "Not called yet", test: (job) => job.calls_placed === 0 },
  nodeal: { label: "Called, no deal", test: (job) => job.calls_placed > 0 && !job.agreed },
};

function matches(job, words) {
  const text = `${job.task || ""} ${job.problem} ${job.zip_code}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

/** Search and show filters over the loaded jobs (client side: the newest 100). */
function filters(jobs, render) {
  const search = h("input", { id: "job-search", type: "search", autocomplete: "off" });
  const show = h(
    "select",
    { id: "job-show" },
    Object.entries(SHOW).map(([value, { label }]) => h("option", { value }, label)),
  );
  const count = h("p", { class: "hint", role: "status" });
  const apply = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = jobs.filter((job) => SHOW[show.value].test(job) && matches(job, words));
    fill(count, `${shown.length} of ${jobs.length} jobs`);
    render(shown);
  };
  search.addEventListener("input", apply);
  show.addEventListener("change", apply);
  const form = h(
    "form",
    { role: "search", class: "filters", "aria-label": "Filter jobs" },
    h("div", { class: "field" }, h("label", { for: "job-search" }, "Search"), search),
    h("div", { class: "field" }, h("label", { for: "job-show" }, "Show"), show),
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  return { form, count, apply };
}

/** `#/jobs`: every job, newest first, with search and filters. */
export async function historyView(root, { title = "Jobs" } = {}) {
  const data = await load(root, 100);
  if (!data) return;
  const head = h(
    "div",
    { class: "section-head" },
    h("h1", {}, title),
    h("a", { class: "button primary", href: "#/new" }, "New job"),
  );
  if (!data.jobs.length) {
    fill(
      root,
      head,
      h("p", { class: "empty" }, "No jobs yet. ", h("a", { href: "#/new" }, "Start one"), "."),
    );
    focusHeading(root);
    return;
  }
  const list = h("div");
  const { form, count, apply } = filters(data.jobs, (jobs) =>
    fill(list, jobs.length ? historyTable(jobs) : h("p", { class: "empty" }, "No job matches.")),
  );
  fill(root, head, h("section", { class: "card" }, form, count, list));
  apply();
  focusHeading(root);
}

const SERIES = [
  { key: "agreed", label: "Price agreed", className: "bar-agreed" },
  { key: "talked", label: "Talked, no deal", className: "bar-talked" },
  { key: "missed", label: "Not reached", className: "bar-missed" },
  { key: "errors", label: "Error on our side", className: "bar-error" },
  { key: "waiting", label: "Not called yet", className: "bar-waiting" },
];

function seriesOf(job) {
  const talked = job.connected - job.agreed;
  return {
    agreed: job.agreed,
    talked,
    missed: job.not_reached,
    errors: job.errors,
    waiting: Math.max(0, job.providers - job.agreed - talked - job.not_reached - job.errors),
  };
}

/** A stacked horizontal bar per job: what happened to its calls. */
function outcomesChart(jobs) {
  const shown = jobs.filter((job) => job.providers > 0).slice(0, 10);
  if (!shown.length)
    return h("p", { class: "empty" }, "No calls yet: the chart fills in as jobs are called.");
  const most = Math.max(...shown.map((job) => job.providers));
  const label = 150;
  const width = 640;
  const bar = 22;
  const gap = 12;
  const plot = width - label - 40;
  const height = shown.length * (bar + gap) + 30;
  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "chart-title chart-desc",
      class: "chart",
    },
    svg("title", { id: "chart-title" }, "Call outcomes by job"),
    svg(
      "desc",
      { id: "chart-desc" },
      shown
        .map((job) => {
          const parts = seriesOf(job);
          const counts = SERIES.map((s) => `${parts[s.key]} ${s.label.toLowerCase()}`);
          return `${capitalised(job.task || "job")} ${job.zip_code}: ${counts.join(", ")}`;
        })
        .join(". "),
    ),
  );
  shown.forEach((job, index) => {
    const y = index * (bar + gap) + 4;
    chart.append(
      svg(
        "text",
        { x: label - 8, y: y + bar / 2 + 5, "text-anchor": "end", class: "chart-label" },
        jobTitle(job, 12).slice(0, 26),
      ),
    );
    let x = label;
    const parts = seriesOf(job);
    for (const series of SERIES) {
      const value = parts[series.key];
      if (!value) continue;
      const w = (value / most) * plot;
      chart.append(
        svg("rect", {
          x,
          y,
          width: Math.max(w - 1, 1),
          height: bar,
          rx: 3,
          class: series.className,
        }),
      );
      if (w > 18) {
        chart.append(
          svg(
            "text",
            { x: x + w / 2, y: y + bar / 2 + 5, "text-anchor": "middle", class: "chart-value" },
            String(value),
          ),
        );
      }
      x += w;
    }
  });
  const axisY = shown.length * (bar + gap) + 14;
  chart.append(svg("text", { x: label, y: axisY, class: "chart-axis" }, "0"));
  chart.append(
    svg(
      "text",
      { x: label + plot, y: axisY, "text-anchor": "end", class: "chart-axis" },
      `${most} provider${most === 1 ? "" : "s"}`,
    ),
  );
  const legend = h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    SERIES.map((series) =>
      h("li", {}, h("span", { class: `swatch ${series.className}` }), series.label),
    ),
  );
  const table = h(
    "details",
    { class: "chart-table" },
    h("summary", {}, "Show the chart's numbers"),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Job"),
          SERIES.map((s) => h("th", { scope: "col" }, s.label)),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((job) => {
          const parts = seriesOf(job);
          return h(
            "tr",
            {},
            h("th", { scope: "row" }, jobTitle(job)),
            SERIES.map((s) => h("td", { class: "num" }, String(parts[s.key]))),
          );
        }),
      ),
    ),
  );
  return h("figure", { class: "chart-figure" }, chart, legend, table);
}

function tile(label, value, note) {
  return h(
    "div",
    { class: "tile" },
    h("dt", {}, label),
    h(
      "dd",
      {},
      h("span", { class: "tile-value" }, value),
      note ? h("span", { class: "tile-note" }, note) : null,
    ),
  );
}

/** `#/analytics`: figures across jobs and a chart. */
export async function analyticsView(root) {
  const data = await load(root, 200);
  if (!data) return;
  const t = data.totals;
  fill(
    root,
    h("h1", {}, "Analytics"),
    h(
      "dl",
      { class: "tiles" },
      tile("Jobs", String(t.jobs)),
      tile("Calls placed", String(t.calls_placed), `of ${t.providers} providers`),
      tile("Connect rate", percent(t.connect_rate), `${t.connected} talked to someone`),
      tile("Agreement rate", percent(t.agreement_rate), `${t.agreed} of the calls that connected`),
      tile(
        "Average savings",
        money(t.average_savings),
        t.average_savings_percent !== null
          ? `${t.average_savings_percent}% off the first quote`
          : "first quote minus agreed price",
      ),
      tile("Calls failed on our side", String(t.errors), "errors, apart from lines not reached"),
      tile("Call cost", cost(t.cost), `${t.attempts} attempts, estimated`),
      data.spend
        ? tile(
            "Spent, last 24 hours",
            cost(data.spend.last_24_hours),
            data.spend.daily_cap !== null
              ? `of a ${cost(data.spend.daily_cap)} daily cap`
              : "no daily cap set",
          )
        : null,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "outcomes-title" },
      h("h2", { id: "outcomes-title" }, "Call outcomes by job"),
      outcomesChart(data.jobs),
    ),
    h(
      "p",
      { class: "hint" },
      "A call is placed once dialled; it connected when someone talked; the agreement rate " +
        "counts agreed prices among connected calls; savings are the first quote minus the " +
        "agreed price; a call that failed on our side counts as an error, not as not " +
        "reached; costs are estimates from the configured per-minute rates.",
    ),
  );
  focusHeading(root);
}
