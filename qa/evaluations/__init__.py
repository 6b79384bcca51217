"""Evaluations: scoring an interaction, and after submission the agent's acknowledgement or dispute and a lead's
arbitration (the score history of adjusted evaluations)."""
