"""The entered physical results as printed on the 考生体格检查表 (forms/physical.html): one text
per row of ``forms.render.EXAM_ITEMS``, in Chinese whatever the UI language.

Entered results print only once confirmed (the form is printed for the candidate's
signature): before that the print is refused with the reason; a candidate without results gets
the blank form for the doctors, as before."""
from sqlalchemy import select

from flask_babel import lazy_gettext as _l

from ..codes import label
from ..extensions import db
from . import codes
from ..refusals import BadInput
from ..transitions import TransitionRefused
from .models import PhysicalExam
from .physical_workflow import STATES, may_print_for_signature
from .rules import fmt


class NotConfirmed(BadInput):
    """The results are entered but not confirmed: no 体检表 for signing yet."""


def _pair(record, right, left, unit=""):
    values = (getattr(record, right), getattr(record, left))
    if values == (None, None):
        return ""
    return "/".join(fmt(v, key) or "—" for v, key in zip(values, (right, left))) + unit


def _corrected(record):
    text = _pair(record, "vision_corrected_right", "vision_corrected_left")
    lenses = _pair(record, "lens_right", "lens_left", "度")
    return f"{text}（镜片 {lenses}）" if lenses else text


#: row of the printed form → its text.
ROWS = {
    "裸眼视力（右/左）": lambda r: _pair(r, "vision_naked_right", "vision_naked_left"),
    "矫正视力（右/左）": _corrected,
    "色觉": lambda r: label(codes.COLOUR_VISION, r.colour_vision),
    "眼病": lambda r: r.eye_disease,
    "血压": lambda r: f"{r.bp_systolic}/{r.bp_diastolic} mmHg",
    "心脏及血管": lambda r: r.heart,
    "呼吸系统": lambda r: r.lungs,
    "腹部器官": lambda r: r.abdomen,
    "神经系统": lambda r: r.nervous,
    "身高（cm）": lambda r: fmt(r.height, "height"),
    "体重（kg）": lambda r: fmt(r.weight, "weight"),
    "皮肤": lambda r: r.skin,
    "脊柱": lambda r: r.spine,
    "四肢及关节": lambda r: r.limbs,
    "听力（右/左）": lambda r: _pair(r, "hearing_right", "hearing_left", " 米"),
    "嗅觉": lambda r: label(codes.SMELL, r.smell),
    "耳鼻咽喉": lambda r: r.ent,
    "唇腭": lambda r: r.lips_palate,
    "牙齿": lambda r: r.teeth,
    "胸部X线": lambda r: r.chest_xray,
    "肝功能": lambda r: f"谷丙转氨酶（ALT）{r.alt} U/L" if r.alt is not None else "",
    "其他": lambda r: r.other,
}


def conclusion_text(record):
    text = label(codes.CONCLUSIONS, record.conclusion) or ""
    restricted = "；".join(label(codes.RESTRICTIONS, c, default=c) for c in record.restriction_list)
    return f"{text}。受限代码：{restricted}" if restricted else text


def physical_results(candidate):
    """What the 体检表 prints for ``candidate``: None before the results are entered."""
    record = db.session.execute(select(PhysicalExam).where(
        PhysicalExam.candidate_id == candidate.id)).scalar_one_or_none()
    if record is None:
        return None
    try:
        may_print_for_signature(record)
    except TransitionRefused:
        raise NotConfirmed(_l(
            "The physical examination form of %(name)s is printed for signing only once its "
            "results are confirmed; they are “%(state)s” now. Proofread and confirm them "
            "first.", name=record.candidate.name,
            state=STATES.get(record.state, record.state))) from None
    return {
        "rows": {item: text(record) or "" for item, text in ROWS.items()},
        "conclusion": conclusion_text(record),
        "history": record.history or "无",
        "hospital": record.hospital, "doctor": record.doctor, "date": record.exam_date,
        "serial": record.serial or "",
        "confirmed_on": record.confirmed_at,
    }


def integrity_rows(candidate_id):
    """考试诚信记录 printed on the 高考 考生登记表: ``[(date, kind, decision)]`` in date order."""
    from .models import IntegrityRecord

    rows = db.session.execute(select(IntegrityRecord).where(
        IntegrityRecord.candidate_id == candidate_id).order_by(IntegrityRecord.occurred_on)
    ).scalars().all()
    return [(r.occurred_on.strftime("%Y-%m-%d"),
             label(codes.VIOLATION_KINDS, r.kind, default=r.kind),
             r.decision + (f"（{r.document_number}）" if r.document_number else ""))
            for r in rows]
