"""报名流程表 of 成人高考 (seed 004 §四.3: the point prints it at the on-site confirmation, the
candidate checks and signs it; §四.6: the city sends it — the "报名流程图" — to the province
with the 免试 applications).

It is the ``process`` form of ``printing.render.FORMS`` (成人高考 only): this module registers
its context (``form_part``) — basic information, document, photo, preferences, the chosen
confirmation point, 优惠 (the claimed, entered or approved 照顾加分 and the 免试 application),
the payment state, the on-site record (documents seen, pledge copied by hand, confirmed) — and
the template prints the signature lines of the candidate and of the point's staff. The same
rendering serves the point's screen, the candidate's /me forms and the batches.
"""
from flask_babel import force_locale
from sqlalchemy import select

from .. import codes
from ..candidates import documents
from ..codes import ADULT
from ..extensions import db
from ..printing.render import ADULT_STEPS, form_part, stored_preferences
from . import exemption
from .exemption_models import AdultBonus, AdultExemption
from .onsite import onsite_of
from .payment_state import LABELS as PAYMENT_LABELS
from .payment_state import PAID, payment_state

NONE = "无"


def _when(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def basic_lines(c):
    label = codes.label
    return [
        ("考生号", c.candidate_number), ("姓名", c.name),
        ("性别", label(codes.GENDERS, c.gender)), ("民族", label(codes.ETHNICITIES, c.ethnicity)),
        ("出生日期", c.birth_date.strftime("%Y-%m-%d") if c.birth_date else None),
        ("政治面貌", label(codes.POLITICAL_STATUS, c.political_status)),
        ("报考层次", label(codes.CANDIDATE_CATEGORIES[ADULT], c.category)),
        ("文化程度", label(codes.EDUCATION_LEVELS, c.education_level)),
        ("职业类别", label(codes.OCCUPATIONS, c.occupation)),
        ("联系电话", c.phone),
        ("毕业学校", c.graduation_school),
        ("毕业日期", c.graduation_date.strftime("%Y-%m-%d") if c.graduation_date else None),
        ("通讯地址", c.address), ("邮政编码", c.postcode),
    ]


def document_lines(c):
    """证件 and how the point settled it: checked on site, or the copy for the city."""
    kind = codes.label(codes.ID_TYPES, c.id_type or codes.ID_CARD)
    if not documents.needs_review(c):
        status = "居民身份证，确认点现场核验原件"
    else:
        check = documents.check_of(c)
        status = f"证件复印件：{documents.STATE_LABELS.get(check.state, '')}"
        if check.submitted_at:
            status += f"（{_when(check.submitted_at)} 留存）"
    return [("证件类型", kind), ("证件号码", c.id_number), ("证件审核", status)]


def preferential_lines(c):
    """优惠信息: the 照顾加分 row at whatever step (claimed at the point, entered by the city,
    approved or rejected by the province) and the 免试入学 application."""
    lines = []
    bonus = db.session.execute(select(AdultBonus).where(
        AdultBonus.candidate_id == c.id)).scalar_one_or_none()
    if bonus is not None:
        detail = exemption.bonus_kind_label(bonus.kind or bonus.claim_kind)
        if bonus.points:
            detail += f" {bonus.points}分"
        detail += f"（{exemption.BONUS_STATES.get(bonus.state, '')}）"
        if bonus.claimed_by:
            detail += f"；确认点查验原件时间 {_when(bonus.claimed_at)}"
        lines.append(("照顾加分", detail))
    exempt = db.session.execute(select(AdultExemption).where(
        AdultExemption.candidate_id == c.id)).scalar_one_or_none()
    if exempt is not None and exempt.kind:
        lines.append(("免试入学", f"{exemption.exemption_kind_label(exempt.kind)}"
                                 f"（{exemption.EXEMPTION_STATES.get(exempt.state, '')}）"))
    return lines


def payment_line(c):
    state, payment = payment_state(c)
    text = str(PAYMENT_LABELS[state])
    if state == PAID and payment is not None:
        text += f"：{payment.amount} 元，{_when(payment.paid_at)}，流水号 {payment.transaction_id}"
    return text


def onsite_lines(c):
    row = onsite_of(c)
    pledge = (f"考生已于 {_when(row.pledge_copied_at)} 在确认点现场抄写并签署《诚信考试承诺书》"
              f"（经办人：{row.pledge_copied_by}）" if row.pledge_copied_at else
              "□ 考生已在确认点现场抄写并签署《诚信考试承诺书》")
    confirmed = (f"已现场确认（{_when(row.confirmed_at)}，经办人：{row.confirmed_by}）"
                 if row.confirmed_at else "未现场确认")
    return pledge, confirmed


@form_part("process", ADULT)
def process_context(candidate):
    """The parts of the 报名流程表 (``process`` in the template)."""
    c = candidate
    with force_locale("zh"):
        pledge, confirmed = onsite_lines(c)
        point = c.node
        return {"process": {
            "basic": basic_lines(c),
            "document": document_lines(c),
            "preferences": stored_preferences(c),
            "point": [("报名确认点", point.name if point else None),
                      ("地址", getattr(point, "address", None)),
                      ("联系人 / 电话", " ".join(x for x in (getattr(point, "contact", None),
                                                        getattr(point, "phone", None)) if x))],
            "preferential": preferential_lines(c),
            "payment": payment_line(c),
            "pledge": pledge,
            "confirmed": confirmed,
            "steps": " → ".join(step for step, _what in ADULT_STEPS),
            "none": NONE,
        }}
