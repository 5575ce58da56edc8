"""Rendering documents to PDF: one entry point per document type.

The layout of each lives beside it (`pdf_statement`, `pdf_invoice`) over the shared page in
`layout` and the page-spanning line table in `running_table`.
"""

from invoices.pdf_invoice import render_credit_note, render_invoice
from invoices.pdf_statement import render_statement

__all__ = ["render_credit_note", "render_invoice", "render_statement"]
