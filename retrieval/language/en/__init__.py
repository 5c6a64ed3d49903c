"""English language data: lists and tables only, no logic beyond one predicate per concept."""
