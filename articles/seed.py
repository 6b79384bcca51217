"""Default categories for every install and demo articles for ``portal init --demo``."""

from __future__ import annotations

from typing import TypedDict

from sqlmodel import Session, select

from articles import content, editing, feedback, lifecycle
from articles.categories import find_category, seed_default_categories
from articles.models import Article
from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.db import saved_id


class DemoArticle(TypedDict):
    external_id: str
    category: tuple[str, str]
    title: str
    scenario: str
    solution: str
    notes: str
    tags: list[str]
    tickets: list[str]


DEMO_ARTICLES: tuple[DemoArticle, ...] = (
    {
        "external_id": "demo-001",
        "category": ("问题/故障", "软件问题"),
        "title": "App 登录提示“账号或密码错误”但密码确认无误",
        "scenario": "客户反馈在手机 App 上登录时一直提示“账号或密码错误”，客户确认密码没有输错，网页端可以正常登录。",
        "solution": "1. 确认客户 App 版本，低于 5.2 的请先升级到最新版本。\n"
        "2. 请客户退出 App 后清除缓存（设置 › 存储 › 清除缓存）再登录。\n"
        "3. 仍失败时，引导客户在登录页点击“忘记密码”重置密码。\n"
        "4. 以上均无效，记录手机型号与系统版本，提交技术支持工单。",
        "notes": "不要在会话中索要客户的完整密码或验证码。",
        "tags": ["登录", "App"],
        "tickets": ["20240312-A001"],
    },
    {
        "external_id": "demo-002",
        "category": ("咨询", "售后政策咨询"),
        "title": "七天无理由退货的条件和流程",
        "scenario": "客户咨询收到的商品不想要了，能否七天无理由退货，需要怎么操作。",
        "solution": "| 条件 | 说明 |\n|---|---|\n| 时间 | 签收之日起 7 天内 |\n| 商品状态 | 不影响二次销售，配件齐全 |\n\n"
        "操作步骤：\n\n1. 在“我的订单”中找到该订单，点击“申请售后”。\n2. 选择“七天无理由退货”，填写原因。\n"
        "3. 审核通过后按页面地址寄回，并填写快递单号。\n4. 仓库签收后 1-3 个工作日原路退款。",
        "notes": "定制类、鲜活易腐、已拆封的数字商品不适用七天无理由退货。",
        "tags": ["退货", "售后"],
        "tickets": [],
    },
    {
        "external_id": "demo-003",
        "category": ("问题/故障", "物流异常"),
        "title": "物流信息超过 3 天未更新",
        "scenario": "客户反映订单显示已发货，但物流信息超过 3 天没有更新。",
        "solution": "1. 在工单系统中查询运单号，确认承运快递公司。\n2. 通过快递公司客服通道核实包裹位置。\n"
        "3. 如确认丢件，为客户登记补发或退款，并告知处理时效（24 小时内回复）。",
        "notes": "偏远地区和大促期间物流时效会延长，先向客户说明再核实。",
        "tags": ["物流", "催件"],
        "tickets": ["20240315-B002"],
    },
    {
        "external_id": "demo-004",
        "category": ("问题/故障", "硬件故障"),
        "title": "智能音箱无法连接 Wi-Fi",
        "scenario": "客户的智能音箱在配网时一直停留在“正在连接”，无法连接家中 Wi-Fi。",
        "solution": "1. 确认路由器为 2.4 GHz 频段（音箱不支持 5 GHz）。\n2. 长按音箱顶部按键 10 秒恢复出厂设置。\n"
        "3. 手机关闭移动数据后重新配网。\n4. 仍失败的，登记设备序列号，按保修政策安排检测。",
        "notes": "Wi-Fi 名称含特殊字符时可能配网失败，可建议客户临时修改名称。",
        "tags": ["配网", "音箱"],
        "tickets": [],
    },
)


def seed_categories(session: Session) -> None:
    """Default seeder: the two-level request types of the service-centre documents."""
    seed_default_categories(session)


def seed_demo_articles(session: Session, users: dict) -> None:
    """Demo seeder: a few published articles written by the demo agent and approved by the demo lead."""
    author, lead = users.get("agent"), users.get("lead")
    if author is None or lead is None:
        return
    seed_default_categories(session)
    for item in DEMO_ARTICLES:
        if session.exec(select(Article.id).where(Article.external_id == item["external_id"])).first():
            continue
        parent = find_category(session, item["category"][0], None)
        category = find_category(session, item["category"][1], parent.id) if parent else None
        article = editing.create_article(
            session,
            author,
            content.ArticleInput(
                title=item["title"],
                scenario=item["scenario"],
                solution=item["solution"],
                notes=item["notes"],
                category_id=category.id if category else None,
                tags=list(item["tags"]),
                external_id=item["external_id"],
            ),
        )
        lifecycle.submit_article(session, author, saved_id(article))
        lifecycle.approve_article(session, lead, saved_id(article))
        for ticket in item["tickets"]:
            feedback.link_ticket(session, author, saved_id(article), ticket, DEFAULT_TICKET_ID_PATTERN)
