"""What a follow-up needs beside its form: the applicant's rating of a case (the low-rating
follow-up shows the score and the comment)."""

from __future__ import annotations

from flask.views import MethodView

from engine.storage import queries

from ..auth import CASE_READERS, case_access, engine
from ..schemas import CaseRatingSchema
from .common import Blueprint, secured

blp = Blueprint(
    "followups", __name__, url_prefix="/api/cases", description="Follow-ups: the context of a case's follow-up tasks."
)


@blp.route("/<string:case_id>/rating")
class CaseRating(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.response(200, CaseRatingSchema)
    def get(self, case_id):
        """The applicant's rating of the case, if any (cases out of the caller's reach are 404)."""
        with engine().read() as session:
            rating = queries.case_rating(session, case_id, case_access())
        if rating is None:
            return {"rated": False, "score": None, "comment": None, "rated_at": None}
        return {"rated": True, "score": rating.score, "comment": rating.comment, "rated_at": rating.rated_at}
