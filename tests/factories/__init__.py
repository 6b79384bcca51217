"""Test data factories. Each package adds a module here (articles.py, qa.py) and re-exports below."""

from tests.factories.articles import make_article, make_category
from tests.factories.loop import criteria_by_name, make_evaluation  # noqa: F401
from tests.factories.qa import make_interaction, make_plan, make_scorecard  # noqa: F401
from tests.factories.users import make_token, make_user

__all__ = ["make_article", "make_category", "make_token", "make_user"]
