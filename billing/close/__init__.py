"""The close: a period's document lines, statements, invoices, credit notes and Stripe."""
