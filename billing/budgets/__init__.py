"""Budgets: running spend totals, budgets and their alerts, anomalies, webhooks, forecasts."""
