import pytest

from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.tickets import InvalidTicketId, validate_ticket_id


@pytest.mark.parametrize("value", ["20231123-A001", "20240229-Z12345", "  20231123-B999  "])
def test_valid_ticket_ids(value):
    assert validate_ticket_id(value, DEFAULT_TICKET_ID_PATTERN) == value.strip()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "required"),
        (None, "required"),
        ("20231123-a001", "not a ticket ID"),
        ("20231123-A01", "not a ticket ID"),
        ("2023112-A001", "not a ticket ID"),
        ("20231123A001", "not a ticket ID"),
        ("20230230-A001", "real date"),
        ("20231301-A001", "real date"),
        ("20230229-A001", "real date"),
        ("20231123-A001<script>", "not a ticket ID"),
        ("2" * 80, "at most"),
    ],
)
def test_invalid_ticket_ids(value, reason):
    with pytest.raises(InvalidTicketId, match=reason):
        validate_ticket_id(value, DEFAULT_TICKET_ID_PATTERN)


def test_custom_pattern_without_date_group():
    assert validate_ticket_id("T-42", r"T-\d+") == "T-42"
    with pytest.raises(InvalidTicketId):
        validate_ticket_id("20231123-A001", r"T-\d+")
