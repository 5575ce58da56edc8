// The what-if panel: GET /v1/levers/simulate for one use case of the period, the same answer
// `billing levers simulate` prints: spend and cost per call before, per lever and combined.
"use strict";

let whatIf = { choices: [], period: null };

function offerWhatIf(choices, period) {
  whatIf = { choices, period };
  const select = $("what-if-use-case");
  const before = select.value;
  select.replaceChildren(...choices.map((item, i) => el("option", { value: String(i),
    text: new Set(choices.map((c) => c.team)).size > 1 ? `${item.use_case} (${item.team})`
      : item.use_case })));
  const kept = choices.findIndex((item, i) => String(i) === before);
  if (kept >= 0) select.value = before;
  $("what-if").hidden = choices.length === 0;
  $("what-if-result").hidden = true;
  text("what-if-error", "");
}

function whatIfRow(row, currency, label) {
  return el("tr", { "data-levers": label },
    el("th", { scope: "row", text: label }),
    el("td", { class: "num what-if-spend", text: money(row.spend, currency) }),
    el("td", { class: "num what-if-saving", text: row.levers === "actual" ? "–" :
      `${money(row.saving, currency)}${row.saving_percent == null ? ""
        : ` (${percentOf100(row.saving_percent)})`}` }),
    el("td", { class: "num what-if-per-call", text: unitMoney(row.cost_per_call, currency) }),
    el("td", { class: "num", text: count(row.calls) }));
}

async function simulateWhatIf(event) {
  event.preventDefault();
  const choice = whatIf.choices[Number($("what-if-use-case").value)];
  const levers = $("what-if-levers").value.split(/[\s,]+/).filter(Boolean);
  text("what-if-error", "");
  if (!choice) { text("what-if-error", "Pick a use case."); return; }
  if (!levers.length) {
    text("what-if-error", "Enter at least one lever, such as `compression:input-35%`.");
    return;
  }
  const query = new URLSearchParams({ use_case: choice.use_case, period: whatIf.period,
    team: choice.team });
  for (const lever of levers) query.append("lever", lever);
  const button = $("what-if-form").querySelector("button");
  button.disabled = true;
  try {
    const result = await api(`/v1/levers/simulate?${query}`);
    const currency = result.currency || me.currency;
    const rows = [whatIfRow(result.before, currency, "Actual"),
      ...result.levers.map((row) => whatIfRow(row, currency, row.levers))];
    if (result.levers.length > 1) rows.push(whatIfRow(result.combined, currency, "Combined"));
    $("what-if-result").tBodies[0].replaceChildren(...rows);
    $("what-if-result").hidden = false;
  } catch (error) {
    $("what-if-result").hidden = true;
    text("what-if-error", error.status === 401 ? NOT_ACCEPTED : error.message);
  } finally {
    button.disabled = false;
  }
}

$("what-if-form").addEventListener("submit", simulateWhatIf);
