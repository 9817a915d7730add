"""Satisfaction surveys by service type (依服務對象及類型設計滿意度調查): a short question set per
kind of service, chosen by the channel the case came through, each answered 1 (poor) to 5
(very good). An office changes the questions here; the answers are kept per question."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import Conflict, InvalidInput
from engine.storage import SurveyAnswer


@dataclass(frozen=True)
class Question:
    key: str
    zh: str
    en: str


SURVEYS: dict[str, tuple[Question, ...]] = {
    "counter": (
        Question("counter_waiting", "等候時間是否合理", "Was the waiting time reasonable?"),
        Question("counter_courtesy", "承辦人員態度是否親切", "Was the clerk courteous?"),
        Question(
            "counter_clarity",
            "說明是否清楚、一次告知所需文件",
            "Were the explanations clear, with every document asked for at once?",
        ),
        Question("counter_environment", "洽公環境與設施是否便利", "Were the premises and facilities convenient?"),
    ),
    "online": (
        Question("online_ease", "線上申辦是否容易操作", "Was the online application easy to use?"),
        Question("online_progress", "是否能清楚查詢辦理進度", "Could you follow the progress clearly?"),
        Question("online_speed", "辦理速度是否符合期待", "Was it handled as fast as you expected?"),
    ),
    "home_visit": (
        Question("home_visit_arranging", "預約到府服務是否方便", "Was arranging the home visit easy?"),
        Question("home_visit_punctuality", "人員是否準時到達", "Did the staff arrive on time?"),
        Question("home_visit_courtesy", "到府人員態度是否親切", "Were the visiting staff courteous?"),
    ),
}
SATISFIED_MIN = 4  # a score of 4 or 5 counts as satisfied


def survey_for(channel: str) -> tuple[str, tuple[Question, ...]]:
    """The question set of a case's channel (the counter's for any other)."""
    key = channel if channel in SURVEYS else "counter"
    return key, SURVEYS[key]


def question_label(key: str) -> tuple[str, str]:
    for questions in SURVEYS.values():
        for question in questions:
            if question.key == key:
                return question.zh, question.en
    return key, key


def answered(engine, case_id: str) -> dict[str, int]:
    with engine.read() as session:
        rows = session.execute(
            select(SurveyAnswer.question, SurveyAnswer.score).where(SurveyAnswer.case_id == case_id)
        ).all()
    return {question: score for question, score in rows}


def record_answers(engine, case, answers: dict[str, int]) -> None:
    """Keep an applicant's answers to the survey of their case's channel, once per question,
    after the service (the case served, or completed)."""
    if case.served_at is None and case.status != "completed":
        raise Conflict("The survey opens once the service is done")
    key, questions = survey_for(case.channel)
    unknown = sorted(set(answers) - {question.key for question in questions})
    if unknown:
        raise InvalidInput(
            f"Not questions of this survey: {', '.join(unknown)}",
            errors=[{"field": "answers", "message": f"unknown questions: {', '.join(unknown)}"}],
        )
    bad = sorted(q for q, score in answers.items() if isinstance(score, bool) or score not in (1, 2, 3, 4, 5))
    if bad:
        raise InvalidInput(
            "Each answer is a score from 1 to 5", errors=[{"field": "answers", "message": ", ".join(bad)}]
        )
    again = sorted(set(answers) & set(answered(engine, case.id)))
    if again:
        raise Conflict(f"Already answered: {', '.join(again)}")
    now = engine.clock.now()
    try:
        with engine.write() as session:
            session.add_all(
                SurveyAnswer(case_id=case.id, survey=key, question=question, score=score, answered_at=now)
                for question, score in sorted(answers.items())
            )
    except IntegrityError:
        raise Conflict("Already answered") from None
