"""Provider bills: three published formats parse to exact Decimal totals, are compared with
the metered provider cost, and the difference is trued up into an overhead pool exactly once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from billing.cli import app
from billing.close.lines import period_lines
from billing.close.period_close import close_period
from billing.close.provider_bill import (
    ProviderBillError,
    ProviderTotal,
    parse_provider_bill,
    read_provider_bill,
)
from billing.close.provider_costs import metered_costs
from billing.policies.registry import published_versions as policy_versions
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate
from tests_support import pools_in_force

BILLS = Path(__file__).parent.parent / "fixtures" / "provider_bills"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
runner = CliRunner()


def test_the_openai_costs_response_sums_to_exact_dollars():
    bill = read_provider_bill(BILLS / "openai-costs.json")
    assert bill.format == "openai_costs" and bill.items == 3 and not bill.warnings
    assert bill.totals == (ProviderTotal("openai", Decimal("1012.5056789"), "USD"),)
    assert type(bill.totals[0].amount) is Decimal
    assert (bill.starts_at, bill.ends_at) == (datetime(2026, 10, 1, tzinfo=UTC),
                                              datetime(2026, 10, 3, tzinfo=UTC))


def test_the_anthropic_cost_report_is_in_cents():
    bill = read_provider_bill(BILLS / "anthropic-cost-report.json")
    assert bill.format == "anthropic_cost_report" and bill.items == 3
    assert bill.totals == (ProviderTotal("anthropic", Decimal("501.2428912"), "USD"),)
    documented = {"data": [{"starting_at": "2025-08-01T00:00:00Z",
                            "ending_at": "2025-08-02T00:00:00Z",
                            "results": [{"currency": "USD", "amount": "123.45"}]}],
                  "has_more": False, "next_page": None}
    [total] = parse_provider_bill(json.dumps(documented), "example").totals
    assert total.amount == Decimal("1.2345")  # the docs: "123.45" in USD represents $1.23


def test_the_csv_bill_sums_its_rows_per_provider():
    bill = read_provider_bill(BILLS / "provider-bill.csv")
    assert bill.format == "csv" and bill.items == 4
    assert {t.provider: t.amount for t in bill.totals} == {
        "openai": Decimal("1012.5056789"), "anthropic": Decimal("501.2428912"),
        "mistral": Decimal("20.10")}


def test_a_page_with_more_to_come_is_flagged_and_a_list_of_pages_is_one_bill():
    page = json.loads((BILLS / "openai-costs.json").read_text())
    first = {**page, "has_more": True, "next_page": "page_2"}
    one = parse_provider_bill(json.dumps(first), "page-1.json")
    assert "has_more: true" in one.warnings[0] and "incomplete" in one.warnings[0]
    both = parse_provider_bill(json.dumps([first, page]), "pages.json")
    assert not both.warnings and both.totals[0].amount == 2 * Decimal("1012.5056789")


BAD = {
    "bad amount": ("provider,amount,currency\nopenai,12.00,USD\nanthropic,twelve,USD\n",
                   "row 3, field amount: 'twelve' is not a decimal number"),
    "bad header": ("vendor,cost\nopenai,12\n", "row 1: found 'vendor,cost'"),
    "bad currency": ("provider,amount,currency\nopenai,1,DOLLARS\n",
                     "row 2, field currency"),
    "short row": ("provider,amount,currency\nopenai,1\n", "row 2: 2 columns; expected 3"),
    "no rows": ("provider,amount,currency\n", "no rows after the header"),
    "broken json": ('{"object": "page", "data": [', "not valid JSON"),
    "openai value": (json.dumps({"object": "page", "has_more": False, "data": [
        {"object": "bucket", "results": [{"object": "organization.costs.result",
                                          "amount": {"value": True, "currency": "usd"}}]}]}),
        "data[0].results[0].amount.value: expected a decimal number"),
    "anthropic amount": (json.dumps({"has_more": False, "data": [
        {"starting_at": "2026-10-01T00:00:00Z", "results": [{"amount": "1,5"}]}]}),
        "data[0].results[0].amount: '1,5' is not a decimal number"),
    "other json": ('{"invoices": []}', "expected a CSV with the header provider,amount,"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_bill_names_the_file_the_place_and_what_was_expected(name):
    text, message = BAD[name]
    with pytest.raises(ProviderBillError) as raised:
        parse_provider_bill(text, "bill.txt")
    assert str(raised.value).startswith("bill.txt") and message in str(raised.value)


@pytest.fixture
def rated_month(month, close_env):  # noqa: ANN001, ANN201
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=ZoneInfo("UTC"))
    return month


def _metered(engine) -> dict[str, Decimal]:  # noqa: ANN001
    with engine.connect() as connection:
        costs, _unpriced = metered_costs(connection, "2026-10")
    return {provider: amount for (provider, _currency), amount in costs.items()}


def _bill(tmp_path: Path, engine, openai: str, anthropic: str) -> Path:  # noqa: ANN001
    """A bill that differs from the metered cost by exactly the given amounts."""
    metered = _metered(engine)
    path = tmp_path / "bill.csv"
    path.write_text("provider,amount,currency\n"
                    f"openai,{metered['openai'] + Decimal(openai)},USD\n"
                    f"anthropic,{metered['anthropic'] + Decimal(anthropic)},USD\n")
    return path


def published_versions_of(engine) -> list[str]:  # noqa: ANN001
    return [v.ref for v in policy_versions(engine, "overhead")]


def _reconcile(*args: str):  # noqa: ANN202
    return runner.invoke(app, ["reconcile", "--period", "2026-10", *args])


def _charged(engine) -> Decimal:  # noqa: ANN001
    pools = pools_in_force(engine)
    return sum((lines.charged_overhead
                for lines in period_lines(engine, "2026-10", pools=pools).values()), Decimal(0))


def test_reconcile_shows_metered_against_billed_per_provider(rated_month, close_env, tmp_path):
    bill = _bill(tmp_path, rated_month, "12.34", "-2.00")
    result = _reconcile("--provider-bill", str(bill), "--json")
    assert result.exit_code == 0, result.output
    costs = {cost["provider"]: cost for cost in json.loads(result.stdout)["providers"]["costs"]}
    assert Decimal(costs["openai"]["difference"]) == Decimal("12.34")
    assert Decimal(costs["anthropic"]["difference"]) == Decimal("-2.00")
    openai = Decimal(costs["openai"]["metered"])
    assert Decimal(costs["openai"]["percent"]) == (Decimal("1234") / openai).quantize(
        Decimal("0.01"))
    assert all(cost["billed"] is None for name, cost in costs.items()
               if name not in ("openai", "anthropic"))
    human = _reconcile("--provider-bill", str(bill))
    assert "Provider costs, 2026-10" in human.output and "not in the bill" in human.output


def test_true_up_raises_the_teams_charged_total_by_exactly_the_difference(
        rated_month, close_env, tmp_path):
    before = _charged(rated_month)
    bill = _bill(tmp_path, rated_month, "12.34", "-2.00")
    first = _reconcile("--provider-bill", str(bill), "--true-up")
    assert first.exit_code == 0, first.output
    assert "'provider true-up 2026-10' created" in first.output
    pool = next(p for p in pools_in_force(rated_month)
                if p.name == "provider true-up 2026-10")
    assert (pool.amount, pool.currency, pool.driver, pool.treatment, pool.periods) == (
        Decimal("10.34"), "USD", "spend", "charged", ("2026-10",))
    assert _charged(rated_month) - before == Decimal("10.34")

    written = published_versions_of(rated_month)
    again = _reconcile("--provider-bill", str(bill), "--true-up", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["true_up"]["nothing_to_do"]
    assert published_versions_of(rated_month) == written

    corrected = _bill(tmp_path, rated_month, "20.00", "-2.00")
    replaced = _reconcile("--provider-bill", str(corrected), "--true-up")
    assert "replaced" in replaced.output
    names = [p.name for p in pools_in_force(rated_month)]
    assert names.count("provider true-up 2026-10") == 1
    assert _charged(rated_month) - before == Decimal("18.00")
    assert len(published_versions_of(rated_month)) == len(written) + 1


def test_a_bill_below_the_metered_cost_is_explained_not_trued_up(rated_month, close_env,
                                                                  tmp_path):
    bill = _bill(tmp_path, rated_month, "-5.00", "1.00")
    refused = _reconcile("--provider-bill", str(bill), "--true-up")
    assert refused.exit_code == 2 and "never negative" in refused.output
    assert all("provider true-up" not in p.name for p in pools_in_force(rated_month))


def test_true_up_of_a_closed_period_is_refused_with_what_to_do_instead(month, close_env,
                                                                       tmp_path):
    close_period(month, close_env, "2026-10", now=NOW)
    pools = published_versions_of(month)
    refused = _reconcile("--provider-bill", str(_bill(tmp_path, month, "12.34", "-2.00")),
                         "--true-up")
    assert refused.exit_code == 2 and "2026-10 is closed" in refused.output
    flat = " ".join(refused.output.split())
    assert ("billing overhead set 'provider true-up 2026-10' --amount 10.34 --currency USD "
            "--driver spend --period 2026-11") in flat
    assert published_versions_of(month) == pools


def test_a_malformed_bill_exits_2_with_a_clear_message(rated_month, close_env, tmp_path):
    bad = tmp_path / "bill.csv"
    bad.write_text("provider,amount,currency\nopenai,12.00,USD\nanthropic,twelve,USD\n")
    result = _reconcile("--provider-bill", str(bad))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    flat = " ".join(result.output.split())
    assert f"{bad}: row 3, field amount: 'twelve' is not a decimal number" in flat
    assert "Traceback" not in result.output
    missing = _reconcile("--provider-bill", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2  # the console wraps long paths: compare words, not lines
    assert "cannot read the provider bill" in " ".join(missing.output.split())
    no_bill = _reconcile("--true-up")
    assert no_bill.exit_code == 2 and "--provider-bill" in no_bill.output
