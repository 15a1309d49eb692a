"""Everything about Revenium's image metrics API: parameters, queries, client, sandbox."""
