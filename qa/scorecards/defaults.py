"""The default scorecard from the source documents (服务态度, 沟通技巧, 问题解决能力, 规范遵守, 响应时效)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from qa.scorecards.input import CriterionInput, ScorecardInput, SectionInput
from qa.scorecards.models import Scorecard
from qa.scorecards.scoring import Scale, ScoringMode
from qa.scorecards.services import create_scorecard

DEFAULT_NAME = "客服质检评分表（默认）"


def _c(name, scale, guidance, *, allow_na=False, critical=False, points=1.0, description=""):
    return CriterionInput(
        name=name,
        scale=scale,
        points=points,
        allow_na=allow_na,
        critical=critical,
        description=description,
        guidance=dict(enumerate(guidance, start=Scale(scale).min)),
    )


def default_input() -> ScorecardInput:
    """The default scorecard, following the quality-monitoring items of the source documents."""
    return ScorecardInput(
        name=DEFAULT_NAME,
        mode=ScoringMode.WEIGHTED_SECTIONS.value,
        description="依据客服中心质量监控要求：服务态度、沟通技巧、问题解决能力、规范遵守、响应时效。",
        sections=[
            SectionInput(
                "服务态度",
                20,
                [
                    _c("使用规范问候语与结束语", "binary", ["未使用", "已使用"]),
                    _c(
                        "态度热情、耐心，无不耐烦或推诿",
                        "5",
                        ["态度恶劣或推诿", "明显不耐烦", "基本礼貌", "热情耐心", "始终热情耐心，主动关怀"],
                    ),
                ],
            ),
            SectionInput(
                "沟通技巧",
                20,
                [
                    _c(
                        "表达清晰、简洁、易懂",
                        "5",
                        ["表达混乱", "多处含糊", "基本清楚", "清晰易懂", "清晰简洁，专业术语有解释"],
                    ),
                    _c("积极倾听并准确确认客户需求", "3", ["未确认需求", "部分确认", "复述并确认需求"]),
                ],
            ),
            SectionInput(
                "问题解决能力",
                30,
                [
                    _c("问题判断准确", "5", ["判断错误", "多次误判", "基本准确", "准确", "准确且找到根因"]),
                    _c(
                        "提供正确、完整的解决方案",
                        "5",
                        ["方案错误", "方案不完整", "基本可用", "正确完整", "正确完整并预防再发"],
                    ),
                    _c(
                        "一次解决或明确跟进承诺",
                        "3",
                        ["未解决也无跟进", "有跟进但不明确", "一次解决或明确跟进"],
                        allow_na=True,
                    ),
                ],
            ),
            SectionInput(
                "规范遵守",
                20,
                [
                    _c("按流程核实客户身份", "binary", ["未核实", "已核实"], allow_na=True),
                    _c("工单记录完整准确（问题类型、优先级、处理结果）", "binary", ["不完整", "完整准确"]),
                    _c(
                        "未泄露客户隐私（身份证号、手机号、地址等）",
                        "binary",
                        ["泄露了客户隐私", "未泄露"],
                        critical=True,
                        description="泄露客户隐私为致命项：本次评分直接为 0 分。",
                    ),
                ],
            ),
            SectionInput(
                "响应时效",
                10,
                [
                    _c("首次响应及时（在线 5 分钟内、电话 3 声内）", "3", ["明显超时", "略有超时", "达标"]),
                    _c(
                        "处理时效符合优先级要求（紧急立即、高 2 小时、中 24 小时、低 72 小时）",
                        "3",
                        ["超出时限", "接近时限", "时限内完成"],
                        allow_na=True,
                    ),
                ],
            ),
        ],
    )


def seed_default_scorecard(session: Session) -> None:
    """Default seeder: create the default scorecard once (idempotent)."""
    exists = session.exec(
        select(col(Scorecard.id)).where((col(Scorecard.is_default)) | (col(Scorecard.name) == DEFAULT_NAME))
    ).first()
    if exists is None:
        create_scorecard(session, None, default_input(), is_default=True)
