"""The result type and the budget check the voice service applies before storing a price."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pricing import PriceResult, check_budget


def result(price: float | None, conditions: str | None = None) -> PriceResult:
    return PriceResult(agreed_price=price, first_quote=200, conditions=conditions, source="offline")


def test_a_price_within_budget_is_stored_as_is() -> None:
    check = check_budget(result(150), max_price=180)
    assert (check.price, check.over_budget, check.note) == (150, False, None)
    assert check_budget(result(180), max_price=180).over_budget is False


def test_a_price_above_the_budget_is_stored_only_with_a_flag() -> None:
    check = check_budget(result(1250.5), max_price=1200)
    assert check.price == 1250.5  # the provider agreed to it: never silently changed
    assert check.over_budget is True
    assert check.note == "over budget: agreed $1,250.50 is above the job's maximum $1,200"


def test_no_price_or_no_maximum_is_never_over_budget() -> None:
    assert check_budget(result(None), max_price=100).over_budget is False
    assert check_budget(result(900), max_price=None).over_budget is False


def test_a_result_says_where_it_came_from_and_never_holds_a_negative_price() -> None:
    with pytest.raises(ValidationError):
        PriceResult(agreed_price=-5, source="offline")
    with pytest.raises(ValidationError):
        PriceResult(agreed_price=5, source="gpt")
