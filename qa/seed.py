"""Seeders: the default scorecard (every installation) and demo data for ``portal init --demo``."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, col, select

from portal.db import saved_id
from portal.masking import resident_id_check_digit
from portal.models import User
from portal.timeutil import utcnow
from qa.evaluations import services as ev
from qa.interactions import services as imp
from qa.interactions.models import Interaction
from qa.interactions.records import RawRecord
from qa.sampling import services as plans
from qa.sampling.models import SamplingPlan
from qa.scorecards import defaults as scorecard_defaults
from qa.scorecards import services as scorecards
from qa.web import DEFAULT_TIMEZONE

DEMO_PLAN = "演示：近两周抽样"

_SCRIPTS = [
    (
        "chat",
        [
            ("customer", "你好，我的订单一直没有发货，手机号{phone}，麻烦查一下。"),
            ("agent", "您好，很高兴为您服务！已为您查询，仓库今天会发出，请您耐心等待。"),
            ("customer", "好的，谢谢。"),
            ("agent", "不客气，还有其他可以帮您的吗？祝您生活愉快！"),
        ],
    ),
    (
        "phone",
        [
            ("agent", "您好，客服中心，请问有什么可以帮您？"),
            ("customer", "我要办理退款，身份证号是{rid}，银行卡{card}。"),
            ("agent", "好的，已核实您的身份，退款将在 3 个工作日内原路退回。"),
            ("customer", "行，那就这样。"),
        ],
    ),
    (
        "ecommerce",
        [
            ("customer", "收到的耳机左边没有声音，质量太差了，我要投诉！"),
            ("agent", "非常抱歉给您带来不便，请提供一下订单号和联系邮箱。"),
            ("customer", "邮箱是 zhang.san@example.com，电话{phone}。"),
            ("agent", "已为您登记换货，新品会在 48 小时内发出。"),
        ],
    ),
    (
        "email",
        [
            ("customer", "软件登录一直提示密码错误，重置也收不到短信。"),
            ("agent", "您好，请确认手机号是否为{phone}，我们已为您重新发送验证码。"),
            ("customer", "收到了，可以登录了。"),
        ],
    ),
]


def _rid(rng: random.Random) -> str:
    body = f"110105{rng.randint(1970, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return body + resident_id_check_digit(body)


def _card(rng: random.Random) -> str:
    digits = [6, 2, 2, 2] + [rng.randint(0, 9) for _ in range(11)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # Luhn check digit for the 15 digits before it
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def seed_default(session: Session) -> None:
    """Every installation: the default scorecard (idempotent)."""
    scorecard_defaults.seed_default_scorecard(session)


def seed_demo(session: Session, users: dict[str, User]) -> None:
    """A few dozen masked demo interactions, one drawn plan and one submitted evaluation (idempotent)."""
    if (
        session.exec(select(col(SamplingPlan.id)).where(col(SamplingPlan.name) == DEMO_PLAN)).first()
        is not None
    ):
        return
    scorecard_defaults.seed_default_scorecard(session)
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(DEFAULT_TIMEZONE)
    agents = list(session.exec(select(User).where(col(User.username).in_(["agent", "agent2"]))))
    qa_user = users.get("qa") or users.get("admin")
    if not agents or qa_user is None:
        return
    rng = random.Random(2024)
    now = utcnow().astimezone(tz).replace(minute=0, second=0, microsecond=0)
    records = []
    for n in range(36):
        agent = agents[n % len(agents)]
        channel, script = _SCRIPTS[n % len(_SCRIPTS)]
        start = now - timedelta(days=rng.randint(0, 13), hours=rng.randint(1, 9))
        phone = f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"
        values = {"phone": phone, "rid": _rid(rng), "card": _card(rng)}
        turns = [
            {
                "speaker": speaker,
                "at": (start + timedelta(seconds=40 * i)).isoformat(),
                "text": text.format(**values),
            }
            for i, (speaker, text) in enumerate(script)
        ]
        complaint = channel == "ecommerce" and n % 3 == 0
        records.append(
            RawRecord(
                n,
                {
                    "ticket_id": f"{start:%Y%m%d}-{'ABCD'[n % 4]}{100 + n:03d}",
                    "channel": channel,
                    "agent": agent.username,
                    "started_at": start.isoformat(),
                    "ended_at": (start + timedelta(minutes=rng.randint(3, 20))).isoformat(),
                    "csat": None if n % 5 == 0 else (2 if complaint else rng.choice([3, 4, 5, 5])),
                    "complaint": complaint,
                    "transcript": turns,
                },
            )
        )
    imp.import_records(
        session, records, actor=qa_user, ticket_pattern=r"(?P<date>\d{8})-[A-Z]\d{3,}", tz=tz, source="demo"
    )
    today = now.date()
    plan = plans.create_plan(
        session,
        qa_user,
        plans.PlanInput(
            name=DEMO_PLAN,
            date_from=today - timedelta(days=14),
            date_to=today,
            quota_per_agent=5,
            always_complaints=True,
            always_csat_at_most=2,
            always_cap=3,
            seed=20241123,
            graders=[qa_user.username],
            scorecard_id=default_card.id if (default_card := scorecards.default_scorecard(session)) else None,
        ),
    )
    result = plans.draw_plan(session, qa_user, plan, tz, today)
    first = session.get(Interaction, result.items[0].interaction_id)
    card = scorecards.default_scorecard(session)
    version = scorecards.latest_version(session, saved_id(card)) if card else None
    if first is None or version is None:
        raise RuntimeError("the demo plan drew nothing or the default scorecard is missing")
    _sections, criteria = scorecards.sections_and_criteria(session, saved_id(version))
    ratings = [
        ev.RatingInput(
            criterion_id=saved_id(c), value=c.scale_enum.max - 1 if i in (1, 3, 6) else c.scale_enum.max
        )
        for i, c in enumerate(criteria)
    ]
    ratings[0].comment = "开场白规范，结束语可以更主动。"
    ev.save_evaluation(
        session,
        qa_user,
        first,
        version,
        ev.EvaluationInput(ratings=ratings, comment="整体良好，注意主动确认客户需求。"),
        submit=True,
    )
