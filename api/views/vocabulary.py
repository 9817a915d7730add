"""The labels of the codes the pages show (workflows/vocabulary.py): form options, procedures,
lanes, channels, agencies, their checks and answers. Open to everyone, as the forms' schemas are
nothing secret either."""

from __future__ import annotations

from flask.views import MethodView

from workflows import vocabulary
from workflows.catalogue import PROCEDURES

from ..schemas import VocabularySchema
from .common import Blueprint

blp = Blueprint("vocabulary", __name__, url_prefix="/api", description="Labels of the codes pages show.")


def labels(table: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {code: {"zh": zh, "en": en} for code, (zh, en) in table.items()}


PROCEDURE_NAMES = {key: {"zh": procedure.name_zh, "en": procedure.name_en} for key, procedure in PROCEDURES.items()}
ANSWER = {
    "options": labels(vocabulary.OPTION_LABELS),
    "procedures": PROCEDURE_NAMES,
    "lanes": labels(vocabulary.LANE_LABELS),
    "channels": labels(vocabulary.CHANNEL_LABELS),
    "agencies": labels(vocabulary.AGENCY_LABELS),
    "operations": labels(vocabulary.OPERATION_LABELS),
    "answer_fields": labels(vocabulary.ANSWER_FIELD_LABELS),
    "answer_values": labels(vocabulary.ANSWER_VALUE_LABELS),
    "failures": labels(vocabulary.FAILURE_LABELS),
}


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @blp.response(200, VocabularySchema)
    def get(self):
        """Traditional Chinese and English labels: of the option codes the procedures' forms use,
        the procedures, lanes, channels, agencies, their checks, answers and failures."""
        return ANSWER
