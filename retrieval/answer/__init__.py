"""Answering: from the passages a search found to a verified answer. Composers (the
extractive one and the LLM one), verification against the stored reports, attribution
of each claim, and the answer types every renderer reads."""
