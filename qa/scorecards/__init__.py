"""Scorecards: versioned definitions, the score arithmetic, the default scorecard, their pages and API."""
