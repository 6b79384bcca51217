"""Importing interactions: API, CLI and upload page; masking before storing; bad lines and duplicates."""

from __future__ import annotations

import json

from sqlmodel import func, select

from qa.models import Interaction, MaskingPattern, TranscriptTurn
from tests.factories import make_user

PHONE = "13812345678"
RESIDENT_ID = "11010519491231002X"


def record(agent="agent1", ticket="20241120-A001", **extra):
    data = {
        "ticket_id": ticket,
        "channel": "chat",
        "agent": agent,
        "started_at": "2024-11-20T10:00:00+08:00",
        "ended_at": "2024-11-20T10:10:00+08:00",
        "csat": 4,
        "complaint": False,
        "transcript": [
            {
                "speaker": "customer",
                "at": "2024-11-20T10:00:05+08:00",
                "text": f"我的手机{PHONE}，身份证{RESIDENT_ID}",
            },
            {"speaker": "agent", "at": "10:01:00", "text": "您好，已为您登记"},
        ],
    }
    data.update(extra)
    return data


def count(db, model=Interaction):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def all_stored_text(db) -> str:
    return "\n".join(db.exec(select(TranscriptTurn.text)).all())


def test_api_import_masks_and_reports_bad_records(api, db):
    qa = make_user(db, "qa1", ("qa",))
    make_user(db, "agent1")
    body = [
        record(),
        record(ticket=""),
        record(ticket="2024-A1"),
        record(agent="ghost", ticket="20241120-A002"),
        record(ticket="20241120-A003", csat=7),
        "not an object",
        record(ticket="20241120-A004", transcript=[{"speaker": "boss", "text": "x"}]),
    ]
    response = api(qa).post("/interactions", json=body)
    assert response.status_code == 201
    data = response.get_json()
    assert data["created"] == 1 and len(data["ids"]) == 1
    errors = {r["index"]: r["error"] for r in data["rejected"]}
    assert set(errors) == {1, 2, 3, 4, 5, 6}
    assert "ticket" in errors[1] and "ticket" in errors[2]
    assert "unknown agent" in errors[3]
    assert "csat" in errors[4]
    assert "turn 1" in errors[6] and "speaker" in errors[6]
    assert count(db) == 1

    stored = api(qa).get(f"/interactions/{data['ids'][0]}").get_json()
    first = stored["transcript"][0]
    assert "138****5678" in first["text"] and "110***********002X" in first["text"]
    assert {m["kind"] for m in first["masked"]} == {"phone", "resident_id"}
    assert stored["started_at"].startswith("2024-11-20T02:00:00")
    assert stored["transcript"][1]["at"].startswith("2024-11-20T02:01:00")
    assert PHONE not in all_stored_text(db) and RESIDENT_ID not in all_stored_text(db)


def test_api_import_of_only_bad_records_is_400_and_stores_nothing(api, db):
    qa = make_user(db, "qa1", ("qa",))
    response = api(qa).post("/interactions", json=[record(agent="ghost")])
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["rejected"][0]["index"] == 0
    assert count(db) == 0 and count(db, TranscriptTurn) == 0


def test_duplicate_is_skipped_and_reported(api, db):
    qa = make_user(db, "qa1", ("qa",))
    make_user(db, "agent1")
    assert api(qa).post("/interactions", json=[record()]).status_code == 201
    # Same ticket, agent and start written in another zone: the same conversation.
    again = record(started_at="2024-11-20T02:00:00Z")
    response = api(qa).post("/interactions", json=[again, record(ticket="20241120-B001")])
    data = response.get_json()
    assert response.status_code == 201 and data["created"] == 1 and data["duplicates"] == 1
    assert data["rejected"][0]["index"] == 0 and "duplicate" in data["rejected"][0]["error"]
    assert count(db) == 2


def test_cli_imports_jsonl_reporting_bad_lines(runner, db, tmp_path):
    make_user(db, "agent1")
    path = tmp_path / "conversations.jsonl"
    lines = [
        json.dumps(record(), ensure_ascii=False),
        "{broken json",
        "",
        json.dumps(record(ticket="20241120-A002", csat=7), ensure_ascii=False),
        json.dumps(record(ticket="20241120-A003"), ensure_ascii=False),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(args=["import-interactions", str(path)])
    assert result.exit_code == 1
    assert "line 2: broken JSON" in result.output
    assert "line 4: csat" in result.output
    assert "2 imported" in result.output
    assert count(db) == 2
    assert PHONE not in all_stored_text(db)


CSV_HEADER = "工单号,渠道,客服,开始时间,结束时间,满意度,投诉,发言人,时间,内容\n"


def csv_rows(agent="agent1"):
    return (
        f"20241120-C001,在线客服,{agent},2024-11-20 10:00:00,2024-11-20 10:12:00,2,是,客户,10:00:10,"
        f"我的手机号是{PHONE}，快点处理\n"
        f"20241120-C001,在线客服,{agent},2024-11-20 10:00:00,2024-11-20 10:12:00,2,是,客服,10:01:00,马上为您处理\n"
        f"20241120-C002,电话,{agent},2024-11-20 11:00:00,,,否,客户,,开发票\n"
        f",电话,{agent},2024-11-20 12:00:00,,,否,客户,,缺工单号\n"
        f"20241120-C003,电话,{agent},2024-11-20 13:00:00,,7,否,客户,,满意度错误\n"
    )


def test_gbk_csv_upload_lands_good_rows_and_reports_bad_lines(client, login, db):
    login(make_user(db, "qa1", ("qa",)))
    make_user(db, "agent1")
    data = (CSV_HEADER + csv_rows()).encode("gbk")
    response = client.post(
        "/qa/interactions/import",
        data={"file": (__import__("io").BytesIO(data), "会话.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "gbk" in page
    assert "<td>5</td>" in page and "ticket" in page  # line 5: missing ticket ID
    assert "<td>6</td>" in page and "csat" in page  # line 6: CSAT 7
    assert count(db) == 2
    complaint = db.exec(select(Interaction).where(Interaction.ticket_id == "20241120-C001")).one()
    assert complaint.channel == "chat" and complaint.complaint and complaint.csat == 2
    assert complaint.started_at.isoformat().startswith("2024-11-20T02:00:00")
    turns = db.exec(select(TranscriptTurn).where(TranscriptTurn.interaction_id == complaint.id)).all()
    assert len(turns) == 2 and "138****5678" in turns[0].text
    assert PHONE not in all_stored_text(db)

    viewer = client.get(f"/qa/interactions/{complaint.id}").get_data(as_text=True)
    assert 'class="qa-masked"' in viewer and "138****5678" in viewer and PHONE not in viewer


def test_utf8_csv_with_wrong_header_is_rejected_whole(client, login, db):
    login(make_user(db, "qa1", ("qa",)))
    make_user(db, "agent1")
    data = ("ticket,who,when\n" + csv_rows()).encode("utf-8")
    response = client.post(
        "/qa/interactions/import",
        data={"file": (__import__("io").BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "header" in response.get_data(as_text=True)
    assert count(db) == 0


def test_binary_garbage_is_rejected(client, login, db):
    login(make_user(db, "qa1", ("qa",)))
    response = client.post(
        "/qa/interactions/import",
        data={"file": (__import__("io").BytesIO(b"\xff\xfe\x00\x81\xff" * 10), "x.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count(db) == 0


def test_roles_for_import(api, client, login, db):
    agent = make_user(db, "agent1")
    lead = make_user(db, "lead1", ("lead",))
    assert api(agent).post("/interactions", json=[record()]).status_code == 403
    assert api(lead).post("/interactions", json=[record()]).status_code == 403
    login(agent)
    assert client.get("/qa/interactions").status_code == 403
    assert client.get("/qa/interactions/import").status_code == 403
    assert count(db) == 0


def test_admin_masking_patterns_validated_and_applied(client, login, db, api):
    admin = make_user(db, "admin1", ("admin",))
    make_user(db, "agent1")
    login(admin)
    bad = client.post("/qa/masking", data={"label": "x", "pattern": r"(a)\1", "action": "save"})
    assert bad.status_code == 400
    assert count(db, MaskingPattern) == 0
    tested = client.post(
        "/qa/masking",
        data={"label": "车牌", "pattern": r"京[A-Z]\d{5}", "sample": "车牌京A12345", "action": "test"},
    )
    assert "车牌*******" in tested.get_data(as_text=True)
    assert count(db, MaskingPattern) == 0
    saved = client.post("/qa/masking", data={"label": "车牌", "pattern": r"京[A-Z]\d{5}", "action": "save"})
    assert saved.status_code == 302 and count(db, MaskingPattern) == 1

    turn = {"speaker": "customer", "text": "车牌京A12345被拖走了"}
    response = api(admin).post("/interactions", json=[record(transcript=[turn])])
    stored = api(admin).get(f"/interactions/{response.get_json()['ids'][0]}").get_json()
    assert stored["transcript"][0]["text"] == "车牌*******被拖走了"
    assert stored["transcript"][0]["masked"][0]["kind"] == "车牌"


def test_qa_user_cannot_edit_masking_patterns(client, login, db):
    login(make_user(db, "qa1", ("qa",)))
    response = client.post("/qa/masking", data={"label": "x", "pattern": "abc", "action": "save"})
    assert response.status_code == 403
    assert count(db, MaskingPattern) == 0
