"""The labels of the option codes forms use (workflows/vocabulary.py) and the names of the
procedures (workflows/catalogue.py), for whoever shows a form, a list of codes or an inbox:
open to everyone, as the forms' schemas are nothing secret either."""

from __future__ import annotations

from flask.views import MethodView

from workflows.catalogue import PROCEDURES
from workflows.vocabulary import OPTION_LABELS

from ..schemas import VocabularySchema
from .common import Blueprint

blp = Blueprint("vocabulary", __name__, url_prefix="/api", description="Labels of form options.")

OPTIONS = {code: {"zh": zh, "en": en} for code, (zh, en) in OPTION_LABELS.items()}
PROCEDURE_NAMES = {key: {"zh": procedure.name_zh, "en": procedure.name_en} for key, procedure in PROCEDURES.items()}


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @blp.response(200, VocabularySchema)
    def get(self):
        """Traditional Chinese and English labels of the option codes the procedures' forms use,
        and the names of the procedures."""
        return {"options": OPTIONS, "procedures": PROCEDURE_NAMES}
