"""Rating: usage priced on the card in force; attribution rules, coverage, overhead pools."""
