// The dashboard: reads the billing JSON API with the viewer's own API key, and nothing else.
// Every request goes through api(), which always sends that key as the bearer header and never
// sends cookies, so the API's authorization decides what the page can show.
"use strict";

const KEY_STORE = "billing.apiKey";
const MONTHS = 6;
const PALETTE = ["#1d4ed8", "#f59e0b", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777",
  "#65a30d"];
const OTHER_COLOUR = "#94a3b8";
const MAX_SERIES = 7;
const SVG = "http://www.w3.org/2000/svg";
const READERS = ["admin", "finance", "team"];

const $ = (id) => document.getElementById(id);
let me = null;
let loading = 0;
let view = "team"; // "team" or, for finance and admin keys, "overview" (overview.js)

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, { as = "json" } = {}) {
  const key = sessionStorage.getItem(KEY_STORE);
  if (!key) throw new ApiError(401, "no key");
  let response;
  try {
    response = await fetch(path, { credentials: "omit", cache: "no-store",
      headers: { Authorization: `Bearer ${key}`, Accept: as === "json" ? "application/json" : "*/*" } });
  } catch (error) {
    throw new ApiError(0, "The billing API did not answer. Is `billing serve` running?");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (error) { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return as === "blob" ? response.blob() : response.json();
}

async function optional(promise) {
  try { return await promise; } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

// ---- formatting: the viewer's locale, the card's currency --------------------------------

const locale = () => navigator.language || "en-US";
const money = (value, currency) => value == null ? "–" :
  new Intl.NumberFormat(locale(), { style: "currency", currency }).format(value);
const unitMoney = (value, currency) => value == null ? "–" :
  new Intl.NumberFormat(locale(), { style: "currency", currency, minimumFractionDigits: 2,
    maximumFractionDigits: 4 }).format(value);
const compactMoney = (value, currency) => new Intl.NumberFormat(locale(), { style: "currency",
  currency, notation: "compact", maximumFractionDigits: 1 }).format(value);
const share = (value) => value == null ? "–" :
  new Intl.NumberFormat(locale(), { style: "percent", minimumFractionDigits: 1,
    maximumFractionDigits: 1 }).format(value);
const percentOf100 = (value) => value == null ? "–" : share(Number(value) / 100);
const count = (value) => new Intl.NumberFormat(locale()).format(value);

function monthName(period, style = "long") {
  const [year, month] = period.split("-").map(Number);
  const options = style === "short" ? { month: "short", timeZone: "UTC" }
    : { month: "long", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(Date.UTC(year, month - 1, 15)));
}

function when(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(iso));
}

// ---- small DOM helpers (text only: nothing from the API is parsed as HTML) ---------------

function el(tag, attributes = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.setAttribute("class", value);
    else if (name === "style") Object.assign(node.style, value); // CSSOM: allowed by the CSP
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// `command` in a message is shown as code; still text only, never HTML
const withCode = (value) => String(value).split("`").map((part, i) =>
  i % 2 ? el("code", { text: part }) : part);
function text(id, value) { $(id).replaceChildren(...withCode(value)); }

function show(view) {
  $("sign-in").hidden = view !== "sign-in";
  $("dashboard").hidden = view !== "dashboard";
  $("overview").hidden = view !== "overview";
  $("what-if").hidden = view !== "dashboard" && view !== "overview";
  const signedIn = view !== "sign-in";
  $("sign-out").hidden = !signedIn;
  $("filters").hidden = !signedIn || !me;
  $("views").hidden = !signedIn || !me || me.role === "team";
  if (view !== "message") $("message").hidden = true;
}

function message(textContent, { problem = false, action = null } = {}) {
  show("message");
  const box = $("message");
  box.replaceChildren(el("p", {}, ...withCode(textContent)));
  if (action) box.append(el("button", { type: "button", class: "small" }, action.label));
  if (action) box.lastChild.addEventListener("click", action.run);
  box.className = problem ? "notice problem" : "notice";
  box.hidden = false;
}

// ---- sign in -----------------------------------------------------------------------------

const NOT_ACCEPTED = "This key was not accepted. Check that it was copied whole and that it " +
  "has not expired or been revoked (`billing keys list`).";

async function signIn(key) {
  sessionStorage.setItem(KEY_STORE, key);
  try {
    const found = await api("/v1/me");
    if (!READERS.includes(found.role)) {
      sessionStorage.removeItem(KEY_STORE);
      return `This is ${found.role === "ingest" ? "an" : "a"} ${found.role} key, which cannot ` +
        "read spend. Sign in with a team, finance or admin key.";
    }
    me = found;
    return null;
  } catch (error) {
    sessionStorage.removeItem(KEY_STORE);
    return error.status === 401 ? NOT_ACCEPTED : error.message;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY_STORE);
  me = null;
  history.replaceState(null, "", location.pathname);
  text("who", "");
  $("api-key").value = "";
  text("sign-in-error", "");
  show("sign-in");
  $("api-key").focus();
}

// ---- where we are: #team=...&period=... ---------------------------------------------------

function wanted() {
  const params = new URLSearchParams(location.hash.slice(1));
  const team = params.get("team") || me.team || me.teams[0] || "";
  const asked = params.get("period");
  const period = /^\d{4}-(0[1-9]|1[0-2])$/.test(asked || "") ? asked : me.current_period;
  // finance and admin land on the organisation; a team key only ever sees its team
  const organisation = me.role !== "team" &&
    (params.get("view") === "overview" || !location.hash.slice(1));
  return { team, period, view: organisation ? "overview" : "team" };
}

function go(team, period) {
  const hash = view === "overview" ? `#view=overview&period=${period}`
    : `#team=${encodeURIComponent(team)}&period=${period}`;
  if (location.hash === hash) render(); else location.hash = hash;
}

function fillFilters(team, period) {
  // a team key's picker holds its own team only, whatever the address asks for
  const own = me.role === "team" || me.teams.includes(team) || !team;
  const teams = own ? me.teams : [...me.teams, team];
  $("team").replaceChildren(...teams.map((name) => el("option", { value: name, text: name })));
  $("team").value = me.teams.includes(team) || me.role !== "team" ? team : me.team;
  $("team").disabled = me.role === "team";
  const periods = [...new Set([me.current_period, period, ...me.periods])].sort().reverse();
  $("period").replaceChildren(...periods.map((p) => el("option", { value: p, text: monthName(p) })));
  $("period").value = period;
  $("team").hidden = $("team-label").hidden = view === "overview";
  $("to-overview").href = `#view=overview&period=${period}`;
  $("to-team").href = `#team=${encodeURIComponent(team)}&period=${period}`;
  $("to-overview").toggleAttribute("aria-current", view === "overview");
  $("to-team").toggleAttribute("aria-current", view !== "overview");
}

// ---- the page ----------------------------------------------------------------------------

async function render() {
  if (!me) return;
  const wish = wanted();
  const { team, period } = wish;
  view = wish.view;
  fillFilters(team, period);
  text("who", me.role === "team" ? `Team key · ${me.team}` : `${me.role} key`);
  if (view === "overview") { renderOverview(period); return; }
  if (!team) {
    message("No team has rated usage yet. Ingest usage and run `billing rate`; teams appear here.");
    return;
  }
  const ticket = ++loading;
  const enc = encodeURIComponent(team);
  let data;
  try {
    const trends = await api(`/v1/trends/${enc}?until=${period}&months=${MONTHS}`);
    const [showback, budgets, coverage, alerts, statements] = await Promise.all([
      optional(api(`/v1/showback/${enc}?period=${period}`)),
      api(`/v1/budgets?period=${period}&team=${enc}`),
      optional(api(`/v1/coverage/${enc}?period=${period}`)),
      api(`/v1/alerts?team=${enc}&period=${period}&limit=50`),
      api(`/v1/teams/${enc}/statements?limit=500`),
    ]);
    data = { team, period, trends, showback, budgets, coverage, alerts, statements };
  } catch (error) {
    if (ticket !== loading) return;
    if (error.status === 401) { signOut(); text("sign-in-error", NOT_ACCEPTED); return; }
    if (error.status === 404) {
      message(`Nothing found for team “${team}”. Your key can read: ${me.teams.join(", ") ||
        "no team"}.`, { problem: true });
      return;
    }
    message(`The dashboard could not load: ${error.message}`, { problem: true });
    return;
  }
  if (ticket !== loading) return;
  if (!data.showback) {
    const latest = me.periods.find((p) => p < period) || me.periods[0];
    message(`No rated usage for ${team} in ${monthName(period)} yet. Usage is priced by ` +
      "`billing rate` (every 15 minutes under `billing serve`) and shows here once rated.",
    latest && latest !== period ? { action: { label: `Show ${monthName(latest)}`,
      run: () => go(team, latest) } } : {});
    return;
  }
  show("dashboard");
  draw(data);
}

function draw({ team, period, trends, showback, budgets, coverage, alerts, statements }) {
  const currency = showback.currency;
  text("title", `${team} · ${monthName(period)}`);
  text("subtitle", `Showback in ${currency}; amounts in your locale (${locale()}).`);
  drawSpend(showback);
  drawBudget(budgets.find((b) => b.scope === "team"), showback);
  drawCoverage(coverage);
  drawSeries("use-case", trends, trends.by_use_case, "use_case", "(no use case)");
  drawSeries("model", trends, trends.by_model, "model", "(unknown model)");
  drawUnitEconomics(trends);
  drawAlerts(alerts, period);
  drawStatements(statements.data);
  loadTeamKpis(team, period);
  offerWhatIf(trends.by_use_case.filter((item) => item.use_case)
    .map((item) => ({ team, use_case: item.use_case })), period);
}

function drawSpend(showback) {
  text("spend-total", money(showback.total, showback.currency));
  const accrued = showback.overhead_accrued && showback.overhead.length
    ? ` accrued for ${showback.overhead[0].accrued_days} of ${showback.overhead[0].period_days} days`
    : "";
  text("spend-detail", `${money(showback.usage_total, showback.currency)} usage + ` +
    `${money(showback.charged_overhead, showback.currency)} overhead${accrued}`);
}

function drawBudget(report, showback) {
  const meter = $("budget-meter");
  if (!report) {
    text("budget-amount", "No budget");
    text("budget-detail", "Finance sets one with `billing budgets set`.");
    meter.hidden = true;
    text("projection", "–");
    text("projection-detail", "A projection needs a budget for the period.");
    return;
  }
  const { status, projection, currency } = report;
  text("budget-amount", money(report.amount, currency));
  const used = Number(status.percent_used);
  meter.hidden = false;
  meter.className = used >= 100 ? "meter over" : used >= Number(report.warn_percent)
    ? "meter warn" : "meter";
  meter.firstElementChild.style.width = `${Math.min(used, 100)}%`;
  meter.setAttribute("role", "meter");
  meter.setAttribute("aria-label", "Budget used");
  meter.setAttribute("aria-valuemin", "0");
  meter.setAttribute("aria-valuemax", "100");
  meter.setAttribute("aria-valuenow", String(Math.min(used, 100)));
  const sides = [[report.variance, "usage"], [report.total_variance, "with overhead"]]
    .filter(([variance]) => variance)
    .map(([variance, what]) => `${money(variance.absolute.replace(/^-/, ""), currency)} ${variance.standing} (${what})`);
  text("budget-detail", `${money(status.spent, currency)} of usage · ${percentOf100(status.percent_used)} used` +
    (status.hard_cap ? " · hard cap" : "") + (sides.length ? ` · ${sides.join(" · ")}` : ""));
  text("projection", money(projection.projected, currency));
  const detail = $("projection-detail");
  detail.replaceChildren();
  if (projection.variance) {
    const over = Number(projection.variance.absolute) > 0;
    const gap = projection.variance.absolute.replace(/^-/, "");
    detail.append(el("span", { class: over ? "over-text" : "under-text",
      text: `${money(gap, currency)} ${over ? "over" : "under"} budget` }));
  }
  const ended = Number(projection.elapsed_share) >= 1;
  detail.append(ended ? " · the period is over, so this is the actual" : ` · at the pace of the first ${share(projection.elapsed_share)} of the month`);
}

function drawCoverage(coverage) {
  if (!coverage) { text("coverage", "–"); text("coverage-detail", "No rated usage."); return; }
  const spend = coverage.spend;
  text("coverage", share(spend.share_after_rules));
  text("coverage-detail", `of spend names a use case (${share(spend.share_before_rules)} ` +
    "before attribution rules)" + (spend.unpriced_requests ? ` · ${count(spend.unpriced_requests)} unpriced requests` : ""));
}

function topSeries(series) {
  if (series.length <= MAX_SERIES + 1) return series;
  const kept = series.slice(0, MAX_SERIES);
  const rest = series.slice(MAX_SERIES);
  const values = rest[0].values.map((_, i) => rest.reduce((sum, s) => sum + Number(s.values[i] || 0), 0));
  return [...kept, { other: true, values: values.map((v) => v.toFixed(2)) }];
}

function firstMonthWithSpend(trends) {
  const first = trends.total.findIndex((value) => Number(value) > 0);
  return first < 0 ? trends.periods.length - 1 : first;
}

function drawSeries(name, trends, series, key, missing) {
  const currency = trends.currency;
  const from = firstMonthWithSpend(trends);
  const periods = trends.periods.slice(from);
  const latest = (item) => Number(item.values.at(-1) || 0);
  const ordered = [...series].sort((a, b) => latest(b) - latest(a));
  const shown = topSeries(ordered).map((item, i) => ({
    label: item.other ? "Other" : (item[key] ?? missing),
    colour: item.other ? OTHER_COLOUR : PALETTE[i % PALETTE.length],
    values: item.values.slice(from).map((v) => Number(v || 0)), raw: item.values }));
  $(`chart-${name}`).replaceChildren(stackedBars(periods, shown, currency));
  const last = trends.periods.length - 1;
  const rows = shown.map((item) => el("tr", { "data-series": item.label },
    el("td", {}, el("span", { class: "swatch", style: { background: item.colour } }),
      el("span", { class: "series-name", text: item.label })),
    el("td", { class: "num series-amount", text: money(item.raw[last] ?? "0", currency) })));
  const caption = el("caption", { class: "sr-only", text: `${monthName(trends.periods[last])} by ${key.replace("_", " ")}` });
  $(`legend-${name}`).replaceChildren(caption, el("tbody", {}, ...rows));
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * power).find((top) => top >= value);
}

function stackedBars(periods, series, currency) {
  const width = 560; const height = 220; const left = 56; const bottom = 24; const top = 8;
  const totals = periods.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = niceMax(Math.max(...totals));
  const plot = height - bottom - top;
  const step = (width - left) / periods.length;
  const bar = Math.min(48, step * 0.6);
  const y = (value) => top + plot - (value / max) * plot;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Stacked bars, ${monthName(periods[0])} to ${monthName(periods.at(-1))}; ` +
      `latest total ${money(totals.at(-1).toFixed(2), currency)}` });
  for (let i = 0; i <= 4; i += 1) {
    const value = (max / 4) * i;
    svg.append(el("svg:line", { class: "gridline", x1: left, x2: width, y1: y(value), y2: y(value) }),
      el("svg:text", { x: left - 6, y: y(value) + 4, "text-anchor": "end",
        text: compactMoney(value, currency) }));
  }
  periods.forEach((period, i) => {
    const x = left + step * i + (step - bar) / 2;
    let base = 0;
    const current = i === periods.length - 1;
    for (const s of series) {
      const value = s.values[i];
      if (value > 0) {
        const rect = el("svg:rect", { x, width: bar, y: y(base + value),
          height: Math.max(y(base) - y(base + value), 0.5), fill: s.colour,
          opacity: current ? 1 : 0.75 });
        rect.append(el("svg:title", { text: `${monthName(period)} · ${s.label}: ${money(value.toFixed(2), currency)}` }));
        svg.append(rect);
      }
      base += value;
    }
    svg.append(el("svg:text", { x: x + bar / 2, y: height - 6, "text-anchor": "middle",
      class: current ? "current-label" : null, text: monthName(period, "short") }));
  });
  return svg;
}

function sparkline(values) {
  const width = 120; const height = 30; const pad = 4;
  const points = values.map((v, i) => [i, v == null ? null : Number(v)]).filter(([, v]) => v != null);
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "spark",
    role: "img", "aria-label": points.length ? `Trend over ${points.length} months` : "No trend yet" });
  if (!points.length) return svg;
  const low = Math.min(...points.map(([, v]) => v));
  const high = Math.max(...points.map(([, v]) => v));
  const x = (i) => pad + (i / Math.max(values.length - 1, 1)) * (width - 2 * pad);
  const y = (v) => high === low ? height / 2 : pad + (1 - (v - low) / (high - low)) * (height - 2 * pad);
  svg.append(el("svg:polyline", { points: points.map(([i, v]) => `${x(i)},${y(v)}`).join(" ") }));
  const [li, lv] = points.at(-1);
  svg.append(el("svg:circle", { cx: x(li), cy: y(lv), r: 2.5 }));
  return svg;
}

function drawUnitEconomics(trends) {
  const last = trends.periods.length - 1;
  const rows = trends.unit_economics.filter((item) => item.accepted.some((n) => n > 0) ||
    item.cost_per_accepted_outcome[last] != null);
  const body = $("unit-economics").tBodies[0];
  body.replaceChildren(...rows.map((item) => {
    const now = item.cost_per_accepted_outcome[last];
    const before = item.cost_per_accepted_outcome[last - 1];
    let change = el("span", { class: "muted", text: "–" });
    if (now != null && before != null && Number(before) !== 0) {
      const ratio = Number(now) / Number(before) - 1;
      change = el("span", { class: ratio > 0 ? "rise" : "fall",
        text: `${ratio > 0 ? "▲" : "▼"} ${share(Math.abs(ratio))}` });
    }
    return el("tr", { "data-use-case": item.use_case },
      el("th", { scope: "row", text: item.use_case }),
      el("td", { class: "num cpao", text: now == null ? "no accepted outcomes" : unitMoney(now, item.currency) }),
      el("td", { class: "num" }, change),
      el("td", { class: "num", text: share(item.pass_rate[last]) }),
      el("td", { class: "num", text: count(item.accepted[last]) }),
      el("td", {}, sparkline(item.cost_per_accepted_outcome.slice(firstMonthWithSpend(trends)))));
  }));
  $("unit-economics").hidden = rows.length === 0;
  $("unit-empty").hidden = rows.length > 0;
  text("unit-empty", "No outcomes recorded for this team's use cases yet. Send them with " +
    "`billing outcomes ingest` or POST /v1/outcomes.");
}

function drawAlerts(alerts, period) {
  $("alerts").replaceChildren(...alerts.map((alert) => el("li", { "data-alert": alert.id },
    el("span", { class: `badge ${alert.severity}`, text: alert.severity }),
    el("span", { text: alert.message }),
    el("time", { datetime: alert.raised_at, text: when(alert.raised_at) }))));
  $("alerts-empty").hidden = alerts.length > 0;
  text("alerts-empty", `No alerts in ${monthName(period)}.`);
}

async function downloadPdf(item, button, { path = `/v1/statements/${item.id}.pdf`,
  errorId = "statements-error" } = {}) {
  text(errorId, "");
  button.disabled = true;
  try {
    const blob = await api(path, { as: "blob" });
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: `${item.number}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    text(errorId, error.status === 401 ? NOT_ACCEPTED
      : `Could not download ${item.number}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function drawStatements(items) {
  const sorted = [...items].sort((a, b) => b.period.localeCompare(a.period));
  $("statements").tBodies[0].replaceChildren(...sorted.map((item) => {
    const button = el("button", { type: "button", class: "small",
      "aria-label": `Download statement ${item.number} as PDF`, text: "PDF" });
    button.addEventListener("click", () => downloadPdf(item, button));
    return el("tr", { "data-statement": item.number },
      el("td", { text: item.number }), el("td", { text: monthName(item.period) }),
      el("td", { class: "num", text: money(item.total, item.currency) }),
      el("td", { class: "num" }, button));
  }));
  $("statements").hidden = sorted.length === 0;
  $("statements-empty").hidden = sorted.length > 0;
  text("statements-empty", "No statements yet: they are issued when a period is closed " +
    "(`billing close`).");
}

// ---- wiring ------------------------------------------------------------------------------

async function start() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) { text("sign-in-error", "Enter an API key."); return; }
    text("sign-in-error", "");
    const problem = await signIn(key);
    if (problem) { text("sign-in-error", problem); $("api-key").focus(); return; }
    $("api-key").value = "";
    render();
  });
  $("sign-out").addEventListener("click", signOut);
  $("team").addEventListener("change", () => go($("team").value, $("period").value));
  $("period").addEventListener("change", () => go($("team").value, $("period").value));
  window.addEventListener("hashchange", render);
  const stored = sessionStorage.getItem(KEY_STORE);
  if (stored) {
    const problem = await signIn(stored);
    if (!problem) { render(); return; }
    text("sign-in-error", problem);
  }
  show("sign-in");
}

start();
