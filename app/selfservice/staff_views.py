"""Staff side of self-service: issue or reset a candidate's activation code (开通/重置账号).

Staff never see or set a password: they print a one-time code on a slip for the candidate.
"""
from flask import make_response
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from sqlalchemy import select

from ..audit import log_event
from ..candidates.models import Candidate
from ..candidates.validators import mask_id_number
from ..extensions import db
from ..jurisdiction import get_scoped_or_404
from . import auth
from .models import CandidateAccount


class ActivationView(BaseView):
    route_base = "/activation"
    class_permission_name = "ActivationView"
    base_permissions = ["can_issue"]
    method_permission_name = {"show": "issue", "issue": "issue"}
    default_view = "show"

    def _account(self, candidate):
        return db.session.execute(select(CandidateAccount).where(
            CandidateAccount.candidate_id == candidate.id)).scalar_one_or_none()

    @expose("/<int:candidate_id>")
    @has_access
    def show(self, candidate_id):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        return self.render_template("selfservice/staff_activation.html", candidate=candidate,
                                    account=self._account(candidate),
                                    id_masked=mask_id_number(candidate.id_number))

    @expose("/<int:candidate_id>", methods=["POST"])
    @has_access
    def issue(self, candidate_id):
        candidate = get_scoped_or_404(Candidate, candidate_id)
        previous = self._account(candidate)
        reset = previous is not None and (previous.activation_code_hash is not None
                                          or previous.password_hash is not None)
        account, code = auth.issue_code(candidate)
        db.session.commit()
        # log_event commits; the action column holds 10 characters ("activation_code" in details).
        log_event("activation", "ks_candidate", {"event": "activation_code", "reset": reset,
                                           "candidate_id": candidate.id,
                                           "expires": account.activation_expires.isoformat()},
                  row_id=candidate.id)
        resp = make_response(self.render_template(
            "selfservice/staff_slip.html", candidate=candidate, code=code,
            code_display=f"{code[:4]}-{code[4:]}", expires=account.activation_expires,
            reset=reset, id_masked=mask_id_number(candidate.id_number)))
        resp.headers["Cache-Control"] = "no-store"
        return resp
