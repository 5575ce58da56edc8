"""Reduction levers: what-if pricing of a use case's usage, and the evaluation gate that
decides which candidate ships (cost per successful task, with the pass rate held)."""
