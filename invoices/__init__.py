"""Documents: statement and invoice data turned into PDFs, and chargeback invoices sent to Stripe.

Takes plain data objects and imports nothing of `billing`, so it can be tested on its own.
"""
