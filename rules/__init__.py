"""Pure evaluation of rules, budgets and digests; clock and data source are passed in."""
