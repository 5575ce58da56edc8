"""The ledger: usage events and outcomes enter exactly once; rejected rows wait in quarantine."""
