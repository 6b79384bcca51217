"""One bad record never aborts an import: the CLI, the upload page and the API report each bad record with
its line number (or list index) and a reason, store the good ones, and never answer with a traceback or 500.

Every kind of record that once broke the whole import is here: a line that is not text in the file's encoding,
a CSAT that is not a finite number, a time at the edges of the calendar, a ticket ID with an impossible date,
NUL and control characters. What a rejected record's reason echoes is masked like everything stored.
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from qa.models import Interaction, TranscriptTurn
from tests.factories import make_user

PHONE = "13812345678"


def record(ticket: str, **extra) -> dict:
    data = {
        "ticket_id": ticket,
        "channel": "chat",
        "agent": "agent1",
        "started_at": "2024-11-20T10:00:00+08:00",
        "csat": 4,
        "transcript": [{"speaker": "customer", "at": "10:00:05", "text": "你好，我要开发票"}],
    }
    data.update(extra)
    return data


def line(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def raw_csat(ticket: str, spelling: str) -> bytes:
    # json.dumps cannot write 1e999; the CSAT is spliced in as the client wrote it.
    return line(record(ticket, csat="@@")).replace(b'"@@"', spelling.encode())


# line number -> (the record, words the reason must contain in English)
BAD_LINES: dict[int, tuple[bytes, tuple[str, ...]]] = {
    2: (b'{"ticket_id": "20241120-A002", "text": "\xff\xfe\xc3("}', ("not UTF-8",)),
    3: (raw_csat("20241120-A003", "NaN"), ("csat",)),
    4: (raw_csat("20241120-A004", "Infinity"), ("csat",)),
    5: (raw_csat("20241120-A005", "1e999"), ("csat",)),
    6: (line(record("20241120-A006", started_at="0001-01-01T00:00:00+14:00")), ("started_at",)),
    7: (line(record("20241120-A007", started_at="9999-12-31T23:59:59-12:00")), ("started_at",)),
    8: (line(record("20241120-A008", started_at="0001-01-01T08:00:00")), ("started_at",)),
    9: (line(record("20241399-A009")), ("ticket", "date")),
    10: (line(record("20241120-A010", transcript=[{"speaker": "customer", "text": "a\x00b"}])), ("control",)),
    11: (line(record("20241120-A011", agent="agent\x071")), ("control",)),
    12: (line(record("20241120-A012", ended_at="2024-11-20T10:00:00\x00")), ("control",)),
    13: (line(record(PHONE)), ("ticket",)),
}
GOOD_TICKETS = ("20241120-A001", "20241120-A099")


def mixed_jsonl() -> bytes:
    lines = [line(record(GOOD_TICKETS[0]))]
    lines += [BAD_LINES[n][0] for n in sorted(BAD_LINES)]
    lines.append(line(record(GOOD_TICKETS[1])))
    return b"\n".join(lines) + b"\n"


def stored_tickets(db) -> set[str]:
    db.expire_all()
    return set(db.exec(select(Interaction.ticket_id)).all())


def count_turns(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(TranscriptTurn)).one()


def reported_lines(output: str) -> dict[int, str]:
    reasons = {}
    for text in output.splitlines():
        if text.startswith("line "):
            number, _, reason = text[5:].partition(": ")
            reasons[int(number)] = reason
    return reasons


def test_cli_reports_every_bad_jsonl_line_and_stores_the_good_ones(runner, db, tmp_path):
    make_user(db, "agent1")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(mixed_jsonl())
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    reasons = reported_lines(result.output)
    assert set(reasons) == set(BAD_LINES), result.output
    for number, (_, words) in BAD_LINES.items():
        for word in words:
            assert word in reasons[number], (number, reasons[number])
    assert "2 imported" in result.output
    assert stored_tickets(db) == set(GOOD_TICKETS) and count_turns(db) == 2


def test_a_rejected_records_reason_echoes_personal_data_masked(runner, db, tmp_path):
    make_user(db, "agent1")
    path = tmp_path / "echo.jsonl"
    path.write_bytes(
        line(record(PHONE)) + b"\n" + line(record("20241120-A002", agent=f"客户{PHONE}")) + b"\n"
    )
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exit_code == 1
    assert PHONE not in result.output
    assert result.output.count("138****5678") == 2


def _upload(client, name: str, data: bytes):
    return client.post(
        "/qa/interactions/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_page_reports_each_bad_line_translated_and_stores_the_good_ones(client, login, db):
    login(make_user(db, "qa1", ("qa",)))  # the instance's language: Chinese
    make_user(db, "agent1")
    response = _upload(client, "mixed.jsonl", mixed_jsonl())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for number in BAD_LINES:
        assert f'<tr class="qa-rejected"><td>{number}</td>' in page
    assert "不是 UTF-8 文本" in page  # line 2, in Chinese
    assert "控制字符" in page  # lines 10-12
    assert "不是 1 到 5 的整数" in page  # the CSAT lines
    assert PHONE not in page
    assert stored_tickets(db) == set(GOOD_TICKETS)


CSV_HEADER = b"ticket_id,channel,agent,started_at,ended_at,csat,complaint,speaker,at,text\n"


def csv_row(ticket: str, text: str = "你好", csat: str = "4", started: str = "2024-11-20 10:00:00") -> str:
    return f"{ticket},chat,agent1,{started},,{csat},no,customer,,{text}\n"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_line_in_neither_encoding_is_rejected_alone(client, login, db, encoding):
    login(make_user(db, "qa1", ("qa",)))
    make_user(db, "agent1")
    body = (
        CSV_HEADER
        + csv_row("20241120-C001", "我要开发票").encode(encoding)
        + b"20241120-C002,chat,agent1,2024-11-20 11:00:00,,4,no,customer,,\xff\xff\x80garbage\n"
        + csv_row("20241120-C003", csat="NaN").encode(encoding)
        + csv_row("20241120-C004", csat="inf").encode(encoding)
        + csv_row("20241120-C005", started="0001-01-01T00:00:00+14:00").encode(encoding)
        + csv_row("20241399-C006").encode(encoding)
        + csv_row("20241120-C007", "发票\x00抬头").encode(encoding)
        + csv_row("20241120-C008", "谢谢").encode(encoding)
    )
    response = _upload(client, "conversations.csv", body)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert encoding.replace("-", "") in page.replace("-", "").lower()
    for number in (3, 4, 5, 6, 7, 8):
        assert f'<tr class="qa-rejected"><td>{number}</td>' in page, number
    assert stored_tickets(db) == {"20241120-C001", "20241120-C008"}
    texts = set(db.exec(select(TranscriptTurn.text)).all())
    assert texts == {"我要开发票", "谢谢"}  # decoded in the file's encoding, not as mojibake


def test_cli_csv_with_a_bad_line_exits_1_and_stores_the_good_rows(runner, db, tmp_path):
    make_user(db, "agent1")
    path = tmp_path / "turns.csv"
    path.write_bytes(
        CSV_HEADER
        + csv_row("20241120-C001", "我要开发票").encode()
        + b"20241120-C001,chat,agent1,2024-11-20 10:00:00,,4,no,agent,,\xc3\x28\n"
        + csv_row("20241120-C002", "谢谢").encode()
    )
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exit_code == 1
    # The conversation with the unreadable turn is refused whole (not stored without that turn).
    assert reported_lines(result.output).keys() == {3}
    assert stored_tickets(db) == {"20241120-C002"}


def test_api_reports_each_bad_record_by_index_and_stores_the_good_ones(api, db):
    qa = make_user(db, "qa1", ("qa",))
    make_user(db, "agent1")
    body = [line(record(GOOD_TICKETS[0]))]
    body += [BAD_LINES[n][0] for n in sorted(BAD_LINES) if n != 2]  # JSON cannot carry invalid UTF-8
    body.append(line(record(GOOD_TICKETS[1])))
    response = api(qa).post(
        "/interactions",
        data=b"[" + b",".join(body) + b"]",
        content_type="application/json",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["created"] == 2
    assert [r["index"] for r in data["rejected"]] == list(range(1, len(body) - 1))
    assert PHONE not in response.get_data(as_text=True)
    assert stored_tickets(db) == set(GOOD_TICKETS)


JSON_PIECES = [
    b'{"ticket_id": "20241120-A001", "channel": "chat", "agent": "agent1", ',
    b'"started_at": "2024-11-20T10:00:00+08:00", ',
    b'"csat": ',
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"99999999999999999999999",
    b'"0001-01-01T00:00:00+14:00"',
    b'"9999-12-31T23:59:59-12:00"',
    b'"\\u0000"',
    b'"\\ud800"',
    b'"transcript": [{"speaker": "customer", "at": ',
    b'"text": "hi"}]',
    b"}",
    b"[",
    b"\xff\xfe",
    b"\xc3\x28",
    b",",
    b"\n",
    b"\r\n",
    b'"',
    b"20241399-A001",
]


@pytest.fixture
def agent1(db):
    return make_user(db, "agent1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(st.sampled_from(JSON_PIECES), max_size=30),
    name=st.sampled_from(["x.jsonl", "x.csv"]),
)
def test_no_file_makes_the_import_raise(app, agent1, pieces, name):
    # Whatever the bytes, the importer answers with a report or a whole-file refusal, never another error.
    from portal.db import session_scope
    from qa.interactions import services as imp
    from qa.interactions.files import ImportFileError
    from qa.web import qa_timezone, ticket_pattern

    data = (CSV_HEADER if name.endswith(".csv") else b"") + b"".join(pieces)
    with app.app_context(), session_scope() as session:
        try:
            report = imp.import_file(
                session, name, data, actor=None, ticket_pattern=ticket_pattern(), tz=qa_timezone()
            )
        except ImportFileError as exc:
            assert str(exc)
            return
        for problem in report.rejected + report.duplicates:
            assert problem.error and problem.ref >= 1
        session.rollback()


def test_a_data_row_in_place_of_the_header_is_refused_without_echoing_it(runner, db, tmp_path):
    path = tmp_path / "no-header.csv"
    path.write_text(f"20241120-C001,chat,agent1,{PHONE},x\n", encoding="utf-8")
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exit_code == 1 and "header" in result.output
    assert PHONE not in result.output and "138****5678" in result.output
