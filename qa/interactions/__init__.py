"""Conversations (会话): importing them masked, the list, one transcript and the masking rules applied on import."""
