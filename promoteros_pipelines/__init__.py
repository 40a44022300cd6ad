"""PromoterOS analytics back end: a Dagster code location."""
