"""The ticket page: every interaction, visible evaluation and linked article of one ticket."""
