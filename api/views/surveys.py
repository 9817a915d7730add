"""The satisfaction survey of one's own case (by number and access code): its questions, chosen
by the channel the case came through, and the answers (once per question)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from workflows.surveys import answered, record_answers, survey_for

from ..auth import engine
from ..schemas import PublicLookupArgsSchema, StrictSchema, Text
from .common import Blueprint, problems
from .public import case_for_applicant

blp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/api/public",
    description="For applicants: the satisfaction survey of their service type.",
)


class QuestionSchema(Schema):
    key = fields.String()
    zh = fields.String()
    en = fields.String()


class SurveySchema(Schema):
    survey = fields.String(metadata={"description": "the question set: counter, online or home_visit"})
    questions = fields.List(fields.Nested(QuestionSchema))
    answered = fields.Dict(keys=fields.String(), values=fields.Integer())


class AnswersSchema(StrictSchema):
    code = Text(required=True, validate=validate.Length(min=1, max=32))
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=60)),
        values=fields.Integer(strict=True, validate=validate.Range(min=1, max=5)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )


def _survey(case) -> dict:
    key, questions = survey_for(case.channel)
    return {"survey": key, "questions": [q.__dict__ for q in questions], "answered": answered(engine(), case.id)}


@blp.route("/cases/<string(maxlength=20):number>/survey")
class CaseSurvey(MethodView):
    @problems(blp, 404, 429)
    @blp.arguments(PublicLookupArgsSchema, location="query")
    @blp.response(200, SurveySchema)
    def get(self, args, number):
        """The questions of the case's survey (chosen by its channel) and what was answered already."""
        return _survey(case_for_applicant(number, args["code"]))

    @problems(blp, 400, 404, 409, 422, 429)
    @blp.arguments(AnswersSchema)
    @blp.response(201, SurveySchema)
    def post(self, body, number):
        """Answer the survey (1 poor .. 5 very good), once per question, after the service."""
        case = case_for_applicant(number, body["code"])
        record_answers(engine(), case, body["answers"])
        return _survey(case)
