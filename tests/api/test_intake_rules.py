"""The offline intake's rules, and the helpers both intakes share."""

from __future__ import annotations

import pytest

from api.intake.base import (
    answered_pairs,
    is_already_known,
    numbered,
    one_line,
)
from api.intake.offline import TRADES, infer_task, problem_statement, questions_for


@pytest.mark.parametrize(
    ("query", "answers", "line"),
    [
        ("fix my toilet", [], "my toilet needs fixing"),
        ("fix my toilet", ["it keeps running"], "my toilet keeps running"),
        ("Fix my toilet.", ["It's leaking at the base"], "my toilet is leaking at the base"),
        ("I need a plumber to fix my toilet", ["it keeps running"], "my toilet keeps running"),
        ("Can you paint my bedroom?", [], "my bedroom needs painting"),
        ("hello, please unclog the bathroom drain!", [], "the bathroom drain needs unclogging"),
        ("My kitchen sink is clogged", ["it's slow"], "my kitchen sink is clogged"),
        ("install a ceiling fan", [], "I need someone to install a ceiling fan"),
        ("locked out of my house", [], "I'm locked out of my house"),
        ("water heater not working", [], "I need help with water heater not working"),
        ("my AC stopped cooling.", [], "my AC stopped cooling"),
        # An answer that does not start with "it" is context, not the statement.
        ("fix my toilet", ["the handle is loose"], "my toilet needs fixing"),
    ],
)
def test_problem_statements_are_lines_the_agent_can_say(
    query: str, answers: list[str], line: str
) -> None:
    pairs = [("What is happening?", answer) for answer in answers]
    assert problem_statement(query, pairs) == line


def test_every_trade_has_three_to_five_questions_about_the_job_itself() -> None:
    for trade in TRADES:
        assert 3 <= len(trade.questions) <= 5, trade.task
        assert not [q for q in trade.questions if is_already_known(q)], trade.task
        assert questions_for(trade.task) == list(trade.questions)
    assert questions_for("astronaut") == questions_for("handyman")
    assert infer_task("") == "handyman"


@pytest.mark.parametrize(
    "question",
    [
        "What is your address?",
        "What's your zip code?",
        "When do you need this done?",
        "What date works for you?",
        "What is your budget?",
        "How much are you willing to pay?",
        "How soon do you need it?",
    ],
)
def test_questions_about_what_the_job_already_knows_are_spotted(question: str) -> None:
    assert is_already_known(question)


@pytest.mark.parametrize(
    "question",
    ["How long has it been leaking?", "Where is the leak?", "How old is the water heater?"],
)
def test_questions_about_the_problem_are_kept(question: str) -> None:
    assert not is_already_known(question)


def test_answers_follow_the_questions_order_and_skip_blanks() -> None:
    questions = numbered(["What happens?", "Which room?", "How old?"])
    assert questions[1] == {"id": "q2", "question": "Which room?"}
    pairs = answered_pairs(
        questions, {"q3": "ten  years", "q1": "it runs", "q2": " ", "extra": "cash only"}
    )
    assert pairs == [
        ("What happens?", "it runs"),
        ("How old?", "ten years"),
        ("extra", "cash only"),
    ]
    assert one_line("  my toilet\n keeps running.  ") == "my toilet keeps running"
