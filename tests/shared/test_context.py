"""The homeowner's answers as question/answer pairs: migrated from the old flat string, and
turned into what the agent knows and may say, which never contains a question."""

from __future__ import annotations

from shared.context import (
    ContextAnswer,
    answer_lines,
    as_pairs,
    knowledge,
    pairs_from_answers,
    pairs_from_text,
)

QUESTION = "Which fixture or pipe is it, and where in the house is it?"


def test_answers_follow_the_questions_and_skip_blanks() -> None:
    questions = [
        {"id": "q1", "question": "How long has it leaked?"},
        {"id": "q2", "question": QUESTION},
        {"id": "q3", "question": "How old is it?"},
    ]
    pairs = pairs_from_answers(questions, {"q2": " kitchen  sink ", "q1": "About a week", "q3": ""})
    assert pairs == [
        ContextAnswer(question="How long has it leaked?", answer="About a week"),
        ContextAnswer(question=QUESTION, answer="kitchen sink"),
    ]


def test_an_old_string_whose_answer_ran_into_the_next_question_is_split() -> None:
    old = f"How long has it leaked? About a week {QUESTION} the kitchen sink"
    assert pairs_from_text(old) == [
        ContextAnswer(question="How long has it leaked?", answer="About a week"),
        ContextAnswer(question=QUESTION, answer="the kitchen sink"),
    ]
    labelled = pairs_from_text("Notes first. Q: Which bathroom? A: The upstairs one.")
    assert labelled == [
        ContextAnswer(question="", answer="Notes first."),
        ContextAnswer(question="Which bathroom?", answer="The upstairs one."),
    ]


def test_the_agent_says_answers_never_questions() -> None:
    pairs = pairs_from_text(f"How long has it leaked? About a week {QUESTION} the kitchen sink")
    said = [line for _, line in answer_lines(pairs)]
    assert said == ["About a week.", "The kitchen sink."]
    assert all("?" not in line for line in said)
    assert knowledge(pairs) == [
        'Asked "How long has it leaked?", the homeowner said: About a week.',
        f'Asked "{QUESTION}", the homeowner said: The kitchen sink.',
    ]


def test_pairs_come_from_any_stored_shape() -> None:
    assert as_pairs(None) == [] and as_pairs("") == []
    assert as_pairs({"Which room?": "upstairs", "Blank?": " "}) == [
        ContextAnswer(question="Which room?", answer="upstairs")
    ]
    assert as_pairs([{"question": "Which room?", "answer": "upstairs"}]) == [
        ContextAnswer(question="Which room?", answer="upstairs")
    ]
    assert as_pairs("double sink, garbage disposal") == [
        ContextAnswer(answer="double sink, garbage disposal")
    ]
