// The organisation page for finance and admin keys: GET /v1/overview, drawn as it comes. Every
// figure is the API's own (the statements', budgets', coverage's, the KPI review's), only
// formatted for the viewer's locale. Uses app.js's, kpis.js's and what_if.js's helpers.
"use strict";

const KIND_NAMES = { statement: "Statement", invoice: "Invoice", credit_note: "Credit note" };

async function renderOverview(period) {
  const ticket = ++loading;
  let overview;
  try {
    overview = await api(`/v1/overview?period=${period}`);
  } catch (error) {
    if (ticket !== loading) return;
    if (error.status === 401) { signOut(); text("sign-in-error", NOT_ACCEPTED); return; }
    message(`The organisation overview could not load: ${error.message}`, { problem: true });
    return;
  }
  if (ticket !== loading) return;
  if (!overview.teams.length && !overview.coverage) {
    const latest = me.periods.find((p) => p < period) || me.periods[0];
    message(`No rated usage in ${monthName(period)} yet. Usage is priced by \`billing rate\` ` +
      "(every 15 minutes under `billing serve`) and shows here once rated.",
    latest && latest !== period ? { action: { label: `Show ${monthName(latest)}`,
      run: () => go("", latest) } } : {});
    return;
  }
  show("overview");
  drawOverview(overview);
}

function drawOverview(overview) {
  const { period } = overview;
  const [total] = overview.totals;
  const currency = total ? total.currency : me.currency;
  text("overview-title", `Organisation · ${monthName(period)}`);
  text("overview-subtitle", `${overview.closed ? "Closed" : "Open, to date"}; amounts in ` +
    `${overview.totals.map((t) => t.currency).join(", ") || currency}, in your locale ` +
    `(${locale()}).`);
  drawOrgCards(overview, currency);
  drawOrgTeams(overview);
  drawKpiReview($("org-kpis"), overview.kpis, currency);
  text("org-kpis-note", "Each KPI against its target (the use case's kpi_targets, else the " +
    "defaults), with its owner: the figures of `billing kpis` and each statement's KPI page.");
  drawOrgAnomalies(overview.anomalies, period);
  drawOrgGaps(overview);
  drawOrgDocuments(overview.documents);
  offerWhatIf(overview.kpis.use_cases.map((row) => ({ team: row.team,
    use_case: row.use_case })), period);
}

function drawOrgCards(overview, currency) {
  const totals = overview.totals;
  text("org-total", totals.length === 1 ? money(totals[0].total, currency)
    : totals.map((t) => money(t.total, t.currency)).join(" + ") || money("0", currency));
  text("org-total-detail", totals.length ? `usage ${money(totals[0].usage_total,
    totals[0].currency)} + charged overhead ${money(totals[0].charged_overhead,
    totals[0].currency)}, ${count(overview.teams.length)} teams` : "no team has spend");
  const budgeted = overview.teams.filter((team) => team.budget);
  const over = budgeted.filter((team) => Number(team.budget.variance.absolute) > 0);
  text("org-over", budgeted.length ? `${count(over.length)} of ${count(budgeted.length)}` : "–");
  text("org-over-detail", budgeted.length ? "budgeted teams over budget (usage)"
    : "No team budget this period: `billing budgets set`.");
  const coverage = overview.coverage;
  text("org-unattributed", coverage ? money(coverage.unattributed, coverage.currency) : "–");
  text("org-unattributed-detail", coverage ? `${share(coverage.unattributed_share)} of ` +
    `${money(coverage.spend, coverage.currency)} rated spend lacks a team or a use case`
    : "nothing rated yet");
  text("org-unpriced", count(coverage ? coverage.unpriced_requests : 0));
  text("org-unpriced-detail", coverage && coverage.unpriced_requests
    ? "requests to models no card prices: kept, not priced" : "every request was priced");
}

function budgetMeter(budget) {
  const used = Number(budget.status.percent_used);
  const state = used > 100 || budget.status.decision === "block" ? "over"
    : budget.status.decision === "warn" ? "warn" : "";
  const variance = budget.variance;
  const gap = money(variance.absolute.replace("-", ""), budget.currency);
  return el("td", { class: "against" },
    el("div", { class: `meter ${state}`, role: "img", "aria-label": `${share(used / 100)} used` },
      el("span", { style: { width: `${Math.min(used, 100)}%` } })),
    el("span", { class: `variance ${Number(variance.absolute) > 0 ? "over-text" : "under-text"}`,
      text: `${gap} ${variance.standing}` }));
}

function forecastCells(forecast, currency) {
  if (!forecast || forecast.forecast == null) {
    return [el("td", { class: "num muted", text: "–" }),
      el("td", { class: "num muted", text: "no forecast on record" })];
  }
  const error = Number(forecast.error_percent);
  return [el("td", { class: "num forecast", text: money(forecast.forecast, currency) }),
    el("td", { class: "num forecast-error" },
      el("span", { text: money(forecast.actual, currency) }),
      el("span", { class: `kpi-sub ${Math.abs(error) > 10 ? "rise" : ""}`,
        text: `${error > 0 ? "+" : ""}${percentOf100(forecast.error_percent)}` }))];
}

function drawOrgTeams(overview) {
  const rows = overview.teams.map((team) => {
    const statement = team.statement;
    let document = el("span", { class: "muted", text: "period open" });
    if (statement) {
      const button = el("button", { type: "button", class: "small",
        "aria-label": `Download statement ${statement.number} as PDF`, text: statement.number });
      button.addEventListener("click", () => downloadPdf(statement, button, {
        path: `/v1/statements/${encodeURIComponent(statement.number)}.pdf`,
        errorId: "org-documents-error" }));
      document = button;
    }
    return el("tr", { "data-team": team.team },
      el("th", { scope: "row" }, el("a", { href: `#team=${encodeURIComponent(team.team)}` +
        `&period=${overview.period}`, text: team.team })),
      el("td", { class: "num usage", text: money(team.usage_total, team.currency) }),
      el("td", { class: "num budget", text: team.budget ? money(team.budget.amount,
        team.budget.currency) : "–" }),
      team.budget ? budgetMeter(team.budget) : el("td", { class: "muted", text: "no budget" }),
      el("td", { class: "num total", text: money(team.total, team.currency) }),
      ...forecastCells(team.forecast, team.currency),
      el("td", {}, document));
  });
  $("org-teams").tBodies[0].replaceChildren(...rows);
  $("org-teams").tFoot.replaceChildren(...overview.totals.map((total) => el("tr",
    { class: "totals" }, el("th", { scope: "row", text: `All teams (${total.currency})` }),
    el("td", { class: "num", text: money(total.usage_total, total.currency) }),
    el("td", {}), el("td", {}),
    el("td", { class: "num org-sum", text: money(total.total, total.currency) }),
    el("td", {}), el("td", {}), el("td", {}))));
  $("org-teams").hidden = rows.length === 0;
  $("org-teams-empty").hidden = rows.length > 0;
  text("org-teams-empty", "No team has rated usage in this period.");
}

function drawOrgAnomalies(anomalies, period) {
  $("org-anomalies").replaceChildren(...anomalies.map((alert) => el("li",
    { "data-alert": alert.id },
    el("span", { class: `badge ${alert.severity}`, text: alert.severity }),
    el("span", { text: alert.message }),
    el("time", { datetime: alert.raised_at, text: `${alert.team || "no team"} · raised ` +
      when(alert.raised_at) }))));
  text("org-anomalies-title", anomalies.length ? `Anomalies (${count(anomalies.length)})`
    : "Anomalies");
  $("org-anomalies-empty").hidden = anomalies.length > 0;
  text("org-anomalies-empty", `No anomaly in ${monthName(period)}: the daily check found ` +
    "no spike in spend, tokens per request, cache misses or errors.");
}

function drawOrgGaps(overview) {
  const sources = overview.coverage ? [...overview.coverage.sources]
    .sort((a, b) => b.tokens - a.tokens) : [];
  $("org-sources").tBodies[0].replaceChildren(...sources.map((row) => el("tr", {},
    el("td", { text: row.team || "(no team)", class: row.team ? null : "muted" }),
    el("td", { text: row.use_case || "(no use case)", class: "muted" }),
    el("td", { class: "num", text: count(row.requests) }),
    el("td", { class: "num", text: count(row.tokens) }))));
  $("org-sources").hidden = sources.length === 0;
  const unpriced = overview.teams.flatMap((team) => team.unpriced.map((item) =>
    ({ team: team.team, ...item })));
  $("org-unpriced-list").replaceChildren(...(unpriced.length ? unpriced.map((item) => el("li", {},
    `${item.team}: ${count(item.requests)} requests to ${item.model} (${item.reason})`))
    : [el("li", { class: "muted", text: "No unpriced usage: every model is on a card." })]));
}

function drawOrgDocuments(documents) {
  const sorted = [...documents].sort((a, b) => a.kind.localeCompare(b.kind) ||
    a.number.localeCompare(b.number));
  $("org-documents").tBodies[0].replaceChildren(...sorted.map((item) => {
    let cell = el("span", { class: "muted", text: "not rendered" });
    if (item.pdf_url) {
      cell = el("button", { type: "button", class: "small",
        "aria-label": `Download ${item.number} as PDF`, text: "PDF" });
      cell.addEventListener("click", () => downloadPdf(item, cell, { path: item.pdf_url,
        errorId: "org-documents-error" }));
    }
    return el("tr", { "data-document": item.number },
      el("td", { text: item.number }), el("td", { text: KIND_NAMES[item.kind] || item.kind }),
      el("td", { text: item.subject }),
      el("td", { class: "num", text: money(item.total, item.currency) }),
      el("td", { text: item.status || (item.kind === "statement" ? "showback" : "issued") }),
      el("td", { class: "num" }, cell));
  }));
  $("org-documents").hidden = sorted.length === 0;
  $("org-documents-empty").hidden = sorted.length > 0;
  text("org-documents-empty", "No documents yet: they are issued when the period is closed " +
    "(`billing close`).");
}
