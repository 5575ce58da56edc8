"""Exports: the period's rated usage as files other tools read (FOCUS, plain showback tables)."""
