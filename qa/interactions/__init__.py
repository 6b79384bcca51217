"""Conversations (会话): importing them masked, the list, one transcript, and the admin's masking rules
applied on import."""
