"""Policies: the versioned documents besides rate cards that change money (attribution rules,
overhead pools, parties, use cases), published with an effective period and never edited."""
