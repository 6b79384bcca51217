"""Scorecard services: create, edit (a frozen version gets a successor), read as a tree or a scoring spec,
and the default scorecard from the source documents (服务态度, 沟通技巧, 问题解决能力, 规范遵守, 响应时效)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, delete, func, select

from portal import audit
from portal.models import User
from portal.timeutil import utcnow
from qa.scorecard_models import Scorecard, ScorecardCriterion, ScorecardSection, ScorecardVersion
from qa.scoring import (
    CriterionSpec,
    Scale,
    ScorecardError,
    ScorecardSpec,
    ScoringMode,
    SectionSpec,
    validate_scorecard,
)

MAX_NAME = 200


class ScorecardInputError(ValueError):
    """The scorecard definition is invalid; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class CriterionInput:
    name: str
    scale: str = Scale.BINARY.value
    points: float = 1.0
    allow_na: bool = False
    critical: bool = False
    description: str = ""
    guidance: dict[int, str] = field(default_factory=dict)


@dataclass
class SectionInput:
    name: str
    weight: float = 1.0
    criteria: list[CriterionInput] = field(default_factory=list)


@dataclass
class ScorecardInput:
    name: str
    mode: str = ScoringMode.WEIGHTED_SECTIONS.value
    description: str = ""
    sections: list[SectionInput] = field(default_factory=list)


def _number(value: Any, what: str, problems: list[str], default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{what} must be a number")
        return default
    return float(value)


def parse_payload(data: dict[str, Any]) -> ScorecardInput:
    """The API body of ``POST /qa/scorecards`` → :class:`ScorecardInput`; :class:`ScorecardInputError`
    lists every structural problem (values are checked by :func:`validate_input`)."""
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str):
        problems.append("name must be a string")
        name = ""
    mode = data.get("mode", ScoringMode.WEIGHTED_SECTIONS.value)
    if not isinstance(mode, str):
        problems.append("mode must be a string")
        mode = ""
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list):
        problems.append("sections must be a list")
        sections_raw = []
    sections = []
    for i, s in enumerate(sections_raw, start=1):
        if not isinstance(s, dict):
            problems.append(f"section {i} must be an object")
            continue
        criteria_raw = s.get("criteria")
        if not isinstance(criteria_raw, list):
            problems.append(f"section {i}: criteria must be a list")
            criteria_raw = []
        criteria = []
        for j, c in enumerate(criteria_raw, start=1):
            if not isinstance(c, dict):
                problems.append(f"section {i}, criterion {j} must be an object")
                continue
            guidance_raw = c.get("guidance") or {}
            guidance: dict[int, str] = {}
            if isinstance(guidance_raw, dict):
                for k, v in guidance_raw.items():
                    # re.fullmatch, not str.isdigit: "²" is a digit to isdigit() but not to int().
                    if re.fullmatch(r"-?[0-9]{1,2}", str(k)) and isinstance(v, str):
                        guidance[int(k)] = v
                    else:
                        problems.append(f"section {i}, criterion {j}: guidance maps scale values to text")
            else:
                problems.append(f"section {i}, criterion {j}: guidance must be an object")
            criteria.append(
                CriterionInput(
                    name=c.get("name") if isinstance(c.get("name"), str) else "",
                    scale=str(c.get("scale", Scale.BINARY.value)),
                    points=_number(c.get("points"), f"section {i}, criterion {j}: points", problems, 1.0),
                    allow_na=bool(c.get("allow_na", False)),
                    critical=bool(c.get("critical", False)),
                    description=c.get("description") if isinstance(c.get("description"), str) else "",
                    guidance=guidance,
                )
            )
        sections.append(
            SectionInput(
                name=s.get("name") if isinstance(s.get("name"), str) else "",
                weight=_number(s.get("weight"), f"section {i}: weight", problems, 1.0),
                criteria=criteria,
            )
        )
    if problems:
        raise ScorecardInputError(problems)
    return ScorecardInput(
        name=name.strip(), mode=mode, description=str(data.get("description") or ""), sections=sections
    )


def validate_input(inp: ScorecardInput) -> None:
    """Raise :class:`ScorecardInputError` unless the definition can be scored (``qa.scoring`` rules)."""
    problems: list[str] = []
    if not inp.name.strip():
        problems.append("the scorecard needs a name")
    elif len(inp.name) > MAX_NAME:
        problems.append(f"the name has more than {MAX_NAME} characters")
    try:
        mode = ScoringMode(inp.mode)
    except ValueError:
        problems.append(f"mode must be points or weighted_sections, not {inp.mode!r}")
        mode = ScoringMode.POINTS
    sections, criteria = [], []
    for i, s in enumerate(inp.sections):
        sections.append(SectionSpec(id=i, name=s.name.strip(), weight=s.weight))
        for j, c in enumerate(s.criteria):
            try:
                scale = Scale(c.scale)
            except ValueError:
                problems.append(f"criterion {c.name!r}: scale must be binary, 3 or 5, not {c.scale!r}")
                scale = Scale.BINARY
            for level in c.guidance:
                if level not in scale.values:
                    problems.append(f"criterion {c.name!r}: guidance for {level}, which is not on the scale")
            if len(c.name) > MAX_NAME or len(s.name) > MAX_NAME:
                problems.append(f"names have at most {MAX_NAME} characters")
            criteria.append(
                CriterionSpec(
                    id=(i, j),
                    name=c.name.strip(),
                    scale=scale,
                    points=c.points,
                    allow_na=c.allow_na,
                    critical=c.critical,
                    section_id=i,
                )
            )
    if not inp.sections:
        problems.append("the scorecard has no sections")
    try:
        validate_scorecard(ScorecardSpec(mode=mode, sections=tuple(sections), criteria=tuple(criteria)))
    except ScorecardError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ScorecardInputError(list(dict.fromkeys(problems)))


def _write_tree(session: Session, version: ScorecardVersion, inp: ScorecardInput) -> None:
    for i, s in enumerate(inp.sections):
        section = ScorecardSection(version_id=version.id, position=i, name=s.name.strip(), weight=s.weight)
        session.add(section)
        session.flush()
        for j, c in enumerate(s.criteria):
            session.add(
                ScorecardCriterion(
                    version_id=version.id,
                    section_id=section.id,
                    position=j,
                    name=c.name.strip(),
                    description=c.description.strip(),
                    scale=Scale(c.scale).value,
                    points=c.points,
                    allow_na=c.allow_na,
                    critical=c.critical,
                    guidance=json.dumps(
                        {str(k): v.strip() for k, v in sorted(c.guidance.items()) if v.strip()},
                        ensure_ascii=False,
                    ),
                )
            )
    session.flush()


def _check_name(session: Session, name: str, exclude_id: int | None = None) -> None:
    query = select(Scorecard.id).where(Scorecard.name == name.strip())
    if exclude_id is not None:
        query = query.where(Scorecard.id != exclude_id)
    if session.exec(query).first() is not None:
        raise ScorecardInputError([f"a scorecard named {name.strip()!r} exists already"])


def create_scorecard(
    session: Session, actor: User | None, inp: ScorecardInput, *, is_default: bool = False
) -> tuple[Scorecard, ScorecardVersion]:
    """Validate and store a new scorecard with its version 1 (flushes only)."""
    validate_input(inp)
    _check_name(session, inp.name)
    card = Scorecard(
        name=inp.name.strip(),
        description=inp.description.strip(),
        is_default=is_default,
        created_by_id=actor.id if actor else None,
    )
    session.add(card)
    session.flush()
    version = ScorecardVersion(
        scorecard_id=card.id, number=1, mode=inp.mode, created_by_id=actor.id if actor else None
    )
    session.add(version)
    session.flush()
    _write_tree(session, version, inp)
    audit.record(session, actor, "scorecard.create", "scorecard", card.id, to_state="v1")
    return card, version


def edit_scorecard(
    session: Session, actor: User | None, card: Scorecard, inp: ScorecardInput
) -> ScorecardVersion:
    """Change a scorecard. The latest version is changed in place while no evaluation uses it; once it is
    frozen a new version is made, and evaluations keep the version they were made with."""
    validate_input(inp)
    _check_name(session, inp.name, exclude_id=card.id)
    card.name = inp.name.strip()
    card.description = inp.description.strip()
    session.add(card)
    version = latest_version(session, card.id)
    if version is not None and version.can_edit_in_place():
        session.exec(delete(ScorecardCriterion).where(col(ScorecardCriterion.version_id) == version.id))
        session.exec(delete(ScorecardSection).where(col(ScorecardSection.version_id) == version.id))
        version.mode = inp.mode
        session.add(version)
        session.flush()
        action, from_state = "scorecard.edit", f"v{version.number}"
    else:
        number = (version.number if version else 0) + 1
        from_state = f"v{number - 1}"
        version = ScorecardVersion(
            scorecard_id=card.id, number=number, mode=inp.mode, created_by_id=actor.id if actor else None
        )
        session.add(version)
        session.flush()
        action = "scorecard.new_version"
    _write_tree(session, version, inp)
    audit.record(
        session, actor, action, "scorecard", card.id, from_state=from_state, to_state=f"v{version.number}"
    )
    return version


def freeze_version(session: Session, version: ScorecardVersion) -> None:
    """Mark ``version`` as used by an evaluation: from now on edits make a new version."""
    if version.frozen_at is None:
        version.frozen_at = utcnow()
        session.add(version)
        session.flush()


def latest_version(session: Session, scorecard_id: int) -> ScorecardVersion | None:
    return session.exec(
        select(ScorecardVersion)
        .where(ScorecardVersion.scorecard_id == scorecard_id)
        .order_by(col(ScorecardVersion.number).desc())
    ).first()


def versions_of(session: Session, scorecard_id: int) -> list[ScorecardVersion]:
    return list(
        session.exec(
            select(ScorecardVersion)
            .where(ScorecardVersion.scorecard_id == scorecard_id)
            .order_by(col(ScorecardVersion.number).desc())
        )
    )


def default_scorecard(session: Session) -> Scorecard | None:
    """The scorecard used when a plan names none: the default one, else the oldest active one."""
    card = session.exec(select(Scorecard).where(Scorecard.is_default, Scorecard.active)).first()
    return card or session.exec(select(Scorecard).where(Scorecard.active).order_by(Scorecard.id)).first()


def sections_and_criteria(
    session: Session, version_id: int
) -> tuple[list[ScorecardSection], list[ScorecardCriterion]]:
    sections = list(
        session.exec(
            select(ScorecardSection)
            .where(ScorecardSection.version_id == version_id)
            .order_by(ScorecardSection.position)
        )
    )
    order = {s.id: s.position for s in sections}
    criteria = sorted(
        session.exec(select(ScorecardCriterion).where(ScorecardCriterion.version_id == version_id)),
        key=lambda c: (order.get(c.section_id, 0), c.position),
    )
    return sections, criteria


def spec_for(session: Session, version: ScorecardVersion) -> ScorecardSpec:
    """The scoring spec of a stored version (ids are the database ids)."""
    sections, criteria = sections_and_criteria(session, version.id)
    return ScorecardSpec(
        mode=ScoringMode(version.mode),
        sections=tuple(SectionSpec(id=s.id, name=s.name, weight=s.weight) for s in sections),
        criteria=tuple(
            CriterionSpec(
                id=c.id,
                name=c.name,
                scale=Scale(c.scale),
                points=c.points,
                allow_na=c.allow_na,
                critical=c.critical,
                section_id=c.section_id,
            )
            for c in criteria
        ),
    )


def version_tree(session: Session, card: Scorecard, version: ScorecardVersion) -> dict[str, Any]:
    """The API shape of a scorecard version: the POST body with ids on every level."""
    sections, criteria = sections_and_criteria(session, version.id)
    count = session.exec(
        select(func.count()).select_from(ScorecardVersion).where(ScorecardVersion.scorecard_id == card.id)
    ).one()
    return {
        "id": card.id,
        "name": card.name,
        "description": card.description,
        "version_id": version.id,
        "version": version.number,
        "versions": count,
        "frozen": version.is_frozen,
        "mode": version.mode,
        "sections": [
            {
                "id": s.id,
                "name": s.name,
                "weight": s.weight,
                "criteria": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "description": c.description,
                        "scale": c.scale,
                        "points": c.points,
                        "allow_na": c.allow_na,
                        "critical": c.critical,
                        "guidance": {str(k): v for k, v in c.guidance_map().items()},
                    }
                    for c in criteria
                    if c.section_id == s.id
                ],
            }
            for s in sections
        ],
    }


def input_from_version(session: Session, card: Scorecard, version: ScorecardVersion) -> ScorecardInput:
    """The editable definition of a stored version (to pre-fill the edit form)."""
    sections, criteria = sections_and_criteria(session, version.id)
    return ScorecardInput(
        name=card.name,
        mode=version.mode,
        description=card.description,
        sections=[
            SectionInput(
                name=s.name,
                weight=s.weight,
                criteria=[
                    CriterionInput(
                        name=c.name,
                        scale=c.scale,
                        points=c.points,
                        allow_na=c.allow_na,
                        critical=c.critical,
                        description=c.description,
                        guidance=c.guidance_map(),
                    )
                    for c in criteria
                    if c.section_id == s.id
                ],
            )
            for s in sections
        ],
    )


# --- the default scorecard -------------------------------------------------------------------------------

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
        select(Scorecard.id).where((col(Scorecard.is_default)) | (Scorecard.name == DEFAULT_NAME))
    ).first()
    if exists is None:
        create_scorecard(session, None, default_input(), is_default=True)
