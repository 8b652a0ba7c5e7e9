"""考生登记表 of 成人高考 (seed 004 §四.13): the seven parts the notice lists — basic
information, photo, 志愿, 优惠, 成绩, 录取, 诚信 — printed by the province for admitted
candidates only and handed to the admitting institutions.

It is the ``admitted`` form of ``printing.render.FORMS`` for 成人高考 candidates: this module
registers the context the template needs (``form_part``); a candidate without an admission,
or a printing user without the province's permission (``AdultRegisterFormView.can_print``),
is refused with the reason, by every print path that runs in a request. 毕业学校 prints the
candidate's own ``graduation_school``, never the name of the confirmation point.
"""
from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import codes
from ..codes import ADULT
from ..extensions import db
from ..gaokao.models import IntegrityRecord
from ..gaokao import codes as gk_codes
from ..printing.render import PRINTING_USER, NotForExam, form_part, stored_preferences, ticket_for
from ..refusals import BadInput
from .exemption import APPROVED, BONUS_KINDS, EXEMPTION_KINDS
from .exemption_models import AdultBonus, AdultExemption
from .results import candidate_results, score_lines

#: The permission that prints the 考生登记表 of 成人高考 (the province's).
PRINT_PERMISSION = ("can_print", "AdultRegisterFormView")
NONE = "无"


class RegisterFormRefused(NotForExam):
    """The 考生登记表 cannot be printed for this candidate or by this user (400 on a single
    print; a batch skips the candidate)."""

    def __init__(self, message):
        BadInput.__init__(self, message)


NOT_ADMITTED = _l("This candidate has not been admitted: the 考生登记表 of 成人高考 is printed "
                  "for admitted candidates only.")
PROVINCE_ONLY = _l("The 考生登记表 of 成人高考 is printed by the province (成人高考考务 → "
                   "考生登记表).")


def may_print():
    """Whether the staff user printing holds the province's print permission: the request's
    user, or outside a request the user a batch job prints for (``PRINTING_USER``; a job
    that names nobody prints nothing of this form)."""
    if not has_request_context():
        user = PRINTING_USER.get()
        return user is not None and current_app.appbuilder.sm._has_view_access(
            user, *PRINT_PERMISSION)
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return current_app.appbuilder.sm.has_access(*PRINT_PERMISSION)


def preferential_lines(candidate):
    """优惠信息 of the form: ``[(item, detail)]``: the 照顾加分 and the 免试入学 the province
    approved (app/adult/exemption.py); empty, the form prints “无”."""
    lines = []
    with force_locale("zh"):
        bonus = db.session.execute(select(AdultBonus).where(
            AdultBonus.candidate_id == candidate.id, AdultBonus.state == APPROVED)).scalar()
        if bonus is not None:
            label = BONUS_KINDS.get(bonus.kind, (bonus.kind,))[0]
            lines.append(("照顾加分", f"{label} 加{bonus.points}分"))
        exempt = db.session.execute(select(AdultExemption).where(
            AdultExemption.candidate_id == candidate.id,
            AdultExemption.state == APPROVED)).scalar()
        if exempt is not None:
            lines.append(("免试入学", str(EXEMPTION_KINDS.get(exempt.kind, exempt.kind))))
    return lines


def integrity_lines(candidate_id):
    """诚信参考信息: the candidate's 考试诚信记录 as ``[(date, kind, decision)]`` (empty: “无”)."""
    rows = db.session.execute(select(IntegrityRecord).where(
        IntegrityRecord.candidate_id == candidate_id).order_by(IntegrityRecord.occurred_on)
    ).scalars().all()
    return [(r.occurred_on.strftime("%Y-%m-%d"),
             codes.label(gk_codes.VIOLATION_KINDS, r.kind, default=r.kind),
             r.decision + (f"（{r.document_number}）" if r.document_number else ""))
            for r in rows]


def register_refusal(candidate):
    """Why the 考生登记表 cannot be printed for ``candidate`` now (None when it can)."""
    if not may_print():
        return PROVINCE_ONLY
    if candidate_results(candidate.id)[1] is None:
        return NOT_ADMITTED
    return None


@form_part("admitted", ADULT)
def register_context(candidate):
    """The seven parts of the form (``register`` in the template)."""
    if not may_print():
        raise RegisterFormRefused(PROVINCE_ONLY)
    score, admission = candidate_results(candidate.id)
    if admission is None:
        raise RegisterFormRefused(NOT_ADMITTED)
    c = candidate
    ticket = ticket_for(c)
    label = codes.label
    basic = [
        ("考生号", c.candidate_number), ("准考证号", ticket.ticket_number if ticket else None),
        ("姓名", c.name), ("性别", label(codes.GENDERS, c.gender)),
        ("民族", label(codes.ETHNICITIES, c.ethnicity)),
        ("出生日期", c.birth_date.strftime("%Y-%m-%d") if c.birth_date else None),
        ("身份证号", c.id_number),
        ("政治面貌", label(codes.POLITICAL_STATUS, c.political_status)),
        ("文化程度", label(codes.EDUCATION_LEVELS, c.education_level)),
        ("外语语种", label(codes.FOREIGN_LANGUAGES, c.foreign_language)),
        ("考生特征", label(codes.ADULT_FEATURES, c.candidate_feature)),
        ("招生类别", label(codes.ENROLMENT_TYPES, c.enrolment_type)),
        ("报考层次", label(codes.CANDIDATE_CATEGORIES[ADULT], c.category)),
        ("毕业日期", c.graduation_date.strftime("%Y-%m-%d") if c.graduation_date else None),
        ("毕业学校", c.graduation_school),
        ("毕业证书编号", c.diploma_number),
        ("医学类执业资格证书编号", c.medical_license),
        ("职业类别", label(codes.OCCUPATIONS, c.occupation)),
        ("工作日期", c.work_start.strftime("%Y-%m-%d") if c.work_start else None),
        ("联系电话", c.phone), ("邮政编码", c.postcode),
        ("通讯地址", c.address), ("报名确认点", c.node.name if c.node else None),
        ("备注", c.remark),
    ]
    return {"register": {
        "basic": basic,
        "preferences": stored_preferences(c),
        "preferential": preferential_lines(c),
        "scores": score_lines(score) if score else [],
        "admission": [
            ("录取院校", f"{admission.institution_code} {admission.institution_name}"),
            ("录取专业", f"{admission.major_code} {admission.major_name}"),
            ("层次", admission.level_label), ("学习形式", admission.study_form_label),
            ("录取日期", admission.admitted_on.strftime("%Y-%m-%d")),
        ],
        "integrity": integrity_lines(c.id),
        "none": NONE,
    }}
