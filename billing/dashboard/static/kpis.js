// The KPI review panel: GET /v1/kpis as `billing kpis` prints it, each KPI against its target,
// green, amber or red. Drawn on the team page (the team's review) and the organisation page
// (every team's, and attribution coverage). Uses app.js's helpers.
"use strict";

// which side of its target is good: at least (min) or at most (max)
const KPI_SENSE = { cost_per_outcome: "max", input_share: "max", cache_hit_rate: "min",
  eval_pass_rate_at_promotion: "min", forecast_accuracy: "max", budget_variance: "max",
  attribution_coverage: "min" };
const USE_CASE_KPIS = [["cost_per_outcome", "Cost per accepted outcome vs last month"],
  ["input_share", "Input share"], ["cache_hit_rate", "Cache hit rate"],
  ["eval_pass_rate_at_promotion", "Pass rate at promotion"]];
const TEAM_KPIS = [["forecast_accuracy", "Forecast error"], ["budget_variance",
  "Budget variance"]];

function kpiTarget(name, kpi) {
  if (kpi.target == null) return "";
  const number = String(kpi.target).replace(">=", "").trim();
  return `target ${KPI_SENSE[name] === "min" ? "≥" : "≤"} ${percentOf100(number)}`;
}

function kpiCell(name, kpi, { currency = null } = {}) {
  const signed = name === "cost_per_outcome" && kpi.value != null && Number(kpi.value) > 0;
  const value = kpi.value == null ? "–" : `${signed ? "+" : ""}${percentOf100(kpi.value)}`;
  const cell = el("td", { class: "kpi-cell", "data-kpi": name, "data-status": kpi.status },
    el("span", { class: "kpi-value", text: value }),
    el("span", { class: `pill ${kpi.status.replace(" ", "-")}`, text: kpi.status }));
  if (name === "cost_per_outcome" && kpi.cost_per_accepted_outcome != null && currency) {
    cell.append(el("span", { class: "kpi-sub", text:
      `${unitMoney(kpi.cost_per_accepted_outcome, currency)} per accepted outcome` }));
  }
  const target = kpiTarget(name, kpi);
  if (target) cell.append(el("span", { class: "kpi-sub", text: target }));
  return cell;
}

function kpiTable(columns, rows, caption) {
  const head = el("tr", {}, ...columns.map(([label, numeric]) =>
    el("th", { scope: "col", class: numeric ? "num" : null, text: label })));
  return el("table", { class: "data kpi-table" }, el("caption", { class: "sr-only", text: caption }),
    el("thead", {}, head), el("tbody", {}, ...rows));
}

// review: a GET /v1/kpis body; currency: the card's, for cost per accepted outcome
function drawKpiReview(container, review, currency) {
  const parts = [];
  const coverage = review.organisation && review.organisation.attribution_coverage;
  if (coverage) {
    parts.push(el("p", { class: "kpi-org", "data-kpi": "attribution_coverage",
      "data-status": coverage.status },
    el("span", { text: "Attribution coverage " }),
    el("strong", { class: "kpi-value", text: percentOf100(coverage.value) }),
    el("span", { class: `pill ${coverage.status.replace(" ", "-")}`, text: coverage.status }),
    el("span", { class: "muted", text: ` ${kpiTarget("attribution_coverage", coverage)}` })));
  }
  const several = new Set(review.use_cases.map((row) => row.team)).size > 1 || !review.team;
  const useCases = review.use_cases.map((row) => el("tr",
    { "data-use-case": `${row.team}/${row.use_case}` },
    el("th", { scope: "row" }, el("span", { text: row.use_case }),
      el("span", { class: "kpi-sub", text: several ? `${row.team} · ${row.owner}` : row.owner })),
    ...USE_CASE_KPIS.map(([name]) => kpiCell(name, row.kpis[name], { currency }))));
  if (useCases.length) {
    parts.push(el("div", { class: "scroll" }, kpiTable([["Use case · owner"],
      ...USE_CASE_KPIS.map(([, label]) => [label])], useCases, "KPIs per use case")));
  }
  const teams = review.teams.map((row) => el("tr", { "data-team": row.team },
    el("th", { scope: "row", text: row.team }),
    ...TEAM_KPIS.map(([name]) => kpiCell(name, row[name]))));
  if (teams.length) {
    parts.push(el("div", { class: "scroll" }, kpiTable([["Team"], ...TEAM_KPIS.map(([, label]) =>
      [label])], teams, "KPIs per team")));
  }
  if (!parts.length) {
    parts.push(el("p", { class: "empty", text: "No KPI to review: no rated usage this period." }));
  }
  container.replaceChildren(...parts);
}

async function loadTeamKpis(team, period) {
  const box = $("team-kpis");
  box.replaceChildren(el("p", { class: "muted", text: "Loading the KPI review…" }));
  try {
    const review = await api(`/v1/kpis?period=${period}&team=${encodeURIComponent(team)}`);
    drawKpiReview(box, review, me.currency);
  } catch (error) {
    box.replaceChildren(el("p", { class: "error", text:
      `The KPI review could not load: ${error.message}` }));
  }
}
