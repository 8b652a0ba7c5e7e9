"""Printable forms: the registry of kinds and one ``render_form`` through ``render_pdf``.

Printed forms are official Chinese documents, so their wording (templates, code labels) is
Chinese whatever the UI language; the UI names of the kinds are translated (``label``).
Each PDF carries a verification code binding the kind, the record and its version (see
:func:`record_version`), signed with the app's SECRET_KEY, and the generation time.
"""
import contextvars
import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import codes
from ..candidates.labels import LABELS
from ..candidates.models import EVALUATION_DIMENSIONS, Candidate
from ..candidates.states import STATE_LABELS
from ..codes import ADULT, EXAM_KIND_LABELS, GAOKAO
from ..extensions import db
from ..gaokao.printing import integrity_rows, physical_results
from ..jurisdiction import place_name, scoped
from ..photos import storage
from ..photos.models import PHOTO
from ..photos.service import current_photo
from ..refusals import BadInput, Refused
from ..validators import mask_id_number
from .models import AdmissionTicket
from .pdf import UnprintableText, printable, render_pdf, verification_code, verify_code


@dataclass(frozen=True)
class FormKind:
    template: str
    title: str  # printed (Chinese)
    label: object  # UI (translated)
    needs_candidate: bool = True
    batch: bool = True  # one form per candidate, so it can be batch printed
    exam_kinds: tuple | None = None  # the exam kinds the form exists for (None: every kind)


FORMS = {
    "registration": FormKind("forms/registration.html", "报名登记表", _l("Registration form")),
    "process": FormKind("forms/process.html", "报名流程表", _l("Registration procedure sheet"),
                        exam_kinds=(ADULT,)),
    "physical": FormKind("forms/physical.html", "考生体格检查表", _l("Physical examination form")),
    "preferences": FormKind("forms/preferences.html", "志愿表", _l("Preference form")),
    "gaokao_preferences": FormKind("forms/gaokao_preferences.html", "考生志愿表",  # gpref
                                   _l("高考 preference form"), exam_kinds=(GAOKAO,)),
    "ticket": FormKind("forms/ticket.html", "准考证", _l("Admission ticket")),
    "admitted": FormKind("forms/admitted.html", "考生登记表", _l("Admitted candidate form")),
    "publicity": FormKind("forms/publicity.html", "考生信息公示名单", _l("Publicity list"),
                          needs_candidate=False, batch=False),
    "draft": FormKind("forms/draft.html", "考生信息采集草表", _l("Blank collection draft form"),
                      needs_candidate=False, batch=False),
    # 高考 优惠 / 专项 (gaokao/bonus_rules.py; the templates read gaokao_claims()).
    "minority": FormKind("forms/minority.html", "普通高校招生享受民族优惠政策考生资格审核表",
                         _l("Ethnic minority policy form (民审表)"), exam_kinds=(GAOKAO,)),
    "bonus": FormKind("forms/bonus.html", "考生优惠资格审查表",
                      _l("Bonus qualification review form"), exam_kinds=(GAOKAO,)),
    "special_plan": FormKind("forms/special_plan.html",
                             "贫困地区定向招生、农村学生单独招生报名资格审核表",
                             _l("Special-plan qualification form"), exam_kinds=(GAOKAO,)),
}
#: Context one exam kind adds to a candidate form, registered by the package owning it:
#: ``{(kind, exam kind): fn(candidate) -> dict}``. ``fn`` raises a :class:`NotForExam`
#: subclass when the form cannot be printed for that candidate (single prints answer 400 with
#: its message, batches skip the candidate). 成人高考's 考生登记表: app/adult/register_form.py.
FORM_PARTS = {}
#: The staff user a batch job prints for (printing/tasks.py sets it around a part): a form
#: whose printing depends on the user (the 成人高考 考生登记表, the province's) asks it outside
#: a request.
PRINTING_USER = contextvars.ContextVar("printing_user", default=None)


def form_part(kind, exam_kind):
    """Decorator registering ``fn`` in :data:`FORM_PARTS`."""
    def register(fn):
        FORM_PARTS[(kind, exam_kind)] = fn
        return fn
    return register


CANDIDATE_KINDS = tuple(k for k, f in FORMS.items() if f.needs_candidate)
BATCH_KINDS = tuple(k for k, f in FORMS.items() if f.batch)
PUBLICITY_ROWS_PER_PAGE = 30
PREFERENCE_ROWS = 6
DRAFT_VERSION = 1  # bump when the blank form's layout changes

# 成人高考 registration, step by step (报名流程表).
ADULT_STEPS = (
    ("网上报名", "登录省招生考试信息网，如实填写报名信息，选择报考层次、科类及报名点。"),
    ("现场确认", "持本人有效居民身份证、毕业证书到所选报名点核验信息，采集照片和指纹。"),
    ("资格审核", "报名点审核报考资格；免试、照顾加分考生提交相关证明材料。"),
    ("网上缴费", "审核通过后按规定标准在网上缴纳报名考试费。"),
    ("打印准考证", "考前一周登录报名系统打印准考证，核对考点、考场和考试时间。"),
    ("参加考试", "持准考证和有效居民身份证按时参加考试，遵守考场规则。"),
    ("成绩查询与录取", "考后按公布时间查询成绩，关注录取结果并按时报到。"),
)

# 考生体格检查表: (科别, [项目…]), per the 普通高等学校招生体检工作指导意见.
EXAM_ITEMS = (
    ("眼科", ["裸眼视力（右/左）", "矫正视力（右/左）", "色觉", "眼病"]),
    ("内科", ["血压", "心脏及血管", "呼吸系统", "腹部器官", "神经系统"]),
    ("外科", ["身高（cm）", "体重（kg）", "皮肤", "脊柱", "四肢及关节"]),
    ("耳鼻喉科", ["听力（右/左）", "嗅觉", "耳鼻咽喉"]),
    ("口腔科", ["唇腭", "牙齿"]),
    ("辅助检查", ["胸部X线", "肝功能", "其他"]),
)


class NoTicket(Refused):
    """The candidate has no admission ticket yet."""

    status = 404

    def __init__(self):
        super().__init__(_l("No admission ticket has been issued to this candidate yet."))


class NotForExam(BadInput):
    """The form does not exist for the candidate's exam kind (e.g. 报名流程表 outside 成人高考)."""

    def __init__(self, kind, exam_kind):
        super().__init__(form_refusal(kind, exam_kind))


def form_refusal(kind, exam_kind):
    """Why ``kind`` cannot be printed for an exam of ``exam_kind``, or None when it can."""
    allowed = FORMS[kind].exam_kinds
    if allowed is None or exam_kind in allowed:
        return None
    return _l("The %(form)s is only printed for %(exams)s candidates.", form=FORMS[kind].label,
              exams="、".join(str(EXAM_KIND_LABELS[k]) for k in allowed))


def forms_for(exam_kind):
    """The candidate form kinds that exist for an exam kind, in menu order."""
    return [k for k in CANDIDATE_KINDS if form_refusal(k, exam_kind) is None]


def secret():
    return str(current_app.config["SECRET_KEY"]).encode()


def record_version(candidate):
    """The version a printout is bound to: ``Candidate.version`` once it exists, else the
    last change time in whole seconds."""
    version = getattr(candidate, "version", None)
    if version:
        return int(version)
    return int(candidate.changed_on.timestamp()) if candidate.changed_on else 0


def code_for(kind, record_id, version):
    return verification_code(kind, record_id, version, secret())


def check_code(code, kind, candidate):
    """Whether ``code`` (typed from paper) matches the candidate's current version."""
    return verify_code(code, kind, candidate.id, record_version(candidate), secret())


def candidate_code(kind, candidate):
    return code_for(kind, candidate.id, record_version(candidate))


def _date(value, fmt="%Y年%m月%d日"):
    return value.strftime(fmt) if value else ""


def _labels(c):
    kind = c.exam.kind if c.exam else None
    return {
        "gender": codes.label(codes.GENDERS, c.gender),
        "ethnicity": codes.label(codes.ETHNICITIES, c.ethnicity),
        "political_status": codes.label(codes.POLITICAL_STATUS, c.political_status),
        "category": codes.label(codes.CANDIDATE_CATEGORIES.get(kind, ()), c.category),
        "subject_track": codes.label(codes.SUBJECT_TRACKS, c.subject_track),
        "foreign_language": codes.label(codes.FOREIGN_LANGUAGES, c.foreign_language),
        "education_level": codes.label(codes.EDUCATION_LEVELS, c.education_level),
        "occupation": codes.label(codes.OCCUPATIONS, c.occupation),
        "candidate_feature": codes.label(codes.ADULT_FEATURES, c.candidate_feature),
        "enrolment_type": codes.label(codes.ENROLMENT_TYPES, c.enrolment_type),
        "hukou": place_name(c.hukou),
    }


def photo_bytes(candidate):
    """The candidate's current compliant photo (JPEG bytes), or None."""
    photo = current_photo(candidate.id, PHOTO)
    if photo is None:
        return None
    try:
        return storage.open_bytes(photo.file_sha256)
    except FileNotFoundError:
        return None


def ticket_for(candidate):
    return db.session.execute(select(AdmissionTicket).where(
        AdmissionTicket.candidate_id == candidate.id)).scalar_one_or_none()


def _candidate_context(kind, c, extra):
    guardians = [{"name": g.name, "relation": codes.label(codes.GUARDIAN_RELATIONS, g.relation),
                  "phone": g.phone, "work_unit": g.work_unit} for g in c.guardians]
    studies = [{"period": f"{_date(s.start, '%Y.%m')}—{_date(s.end, '%Y.%m') or '至今'}",
                "school": s.school, "role": s.role} for s in c.studies]
    ev = c.evaluation
    evaluation = [(str(_zh(name)), getattr(ev, key, None) if ev else None)
                  for key, name in EVALUATION_DIMENSIONS.items()]
    ctx = {"c": c, "exam": c.exam, "labels": _labels(c), "guardians": guardians,
           "studies": studies, "evaluation": evaluation}
    if kind == "ticket":
        ticket = extra.pop("ticket", None) or ticket_for(c)
        if ticket is None:
            raise NoTicket()
        ctx["ticket"] = ticket
        ctx["timetable"] = ticket.timetable or []
    elif kind == "preferences":
        given = list(extra.pop("preferences", None) or []) or stored_preferences(c)
        rows = []
        for i in range(max(PREFERENCE_ROWS, len(given))):
            row = dict(given[i]) if i < len(given) else {}
            row.setdefault("label", f"第{_ordinal(i + 1)}志愿")
            rows.append(row)
        ctx["preferences"] = rows
        ctx["adult_head"] = _adult_head(c, given) if c.exam and c.exam.kind == ADULT else None
    elif kind == "process":
        ctx["steps"] = ADULT_STEPS
    elif kind == "physical":
        ctx["exam_items"] = EXAM_ITEMS
        ctx["results"] = physical_results(c)  # None: blank cells for the doctors
    elif kind == "admitted" and c.exam and c.exam.kind == GAOKAO:
        ctx["integrity"] = integrity_rows(c.id)  # 诚信 of the 高考 archive
    part = FORM_PARTS.get((kind, c.exam.kind if c.exam else None))
    if part is not None:
        ctx.update(part(c))
    return ctx


def _ordinal(n):
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def stored_preferences(c):
    """The candidate's stored 志愿 (``Candidate.preferences``) as rows of the 志愿表."""
    return [{
        "label": f"第{_ordinal(p.seq)}志愿",
        "code": p.school_code, "name": p.school_name,
        "major_code": p.major_code, "major": p.major_name,
        "level": codes.label(codes.CANDIDATE_CATEGORIES[ADULT], p.level),
        "track": _track_label(p.track, p.major_category),
        "study_form": codes.label(codes.STUDY_FORMS, p.study_form),
        "duration": p.duration,
        "adjust": "是" if p.adjust else "否",
    } for p in c.preferences]


def _track_label(track, major_category):
    """科类: 高起本/高起专 sit a 文史/理工… paper, 专升本 one of the 招生专业类."""
    return (codes.label(codes.ADULT_TRACKS, track)
            or codes.label(codes.ADULT_MAJOR_CATEGORIES, major_category))


def _adult_head(c, rows):
    """报考层次 and 科类 printed above a 成人高考 志愿表: the candidate's level, and the track
    of the first choice (the paper every choice of one candidate is sat with)."""
    level = codes.label(codes.CANDIDATE_CATEGORIES[ADULT], c.category)
    first = rows[0] if rows else {}
    return {"level": level or first.get("level"), "track": first.get("track")}


def _zh(lazy):
    """A lazy label rendered in Chinese, whatever the request's language."""
    with force_locale("zh"):
        return str(lazy)


def publicity_rows(candidates):
    rows = []
    for i, c in enumerate(candidates, 1):
        rows.append({"no": i, "name": c.name, "gender": codes.label(codes.GENDERS, c.gender) or "",
                     "id_masked": mask_id_number(c.id_number),
                     "school": c.node.name if c.node else "",
                     "result": str(STATE_LABELS.get(c.state, c.state or ""))})
    return rows


def publicity_candidates(unit, exam_id, state=None):
    """The candidates of a 公示 list: one unit, one exam, optionally one review state, in the
    current user's scope."""
    stmt = select(Candidate).where(Candidate.node_id == unit.id, Candidate.exam_id == exam_id)
    if state is not None:
        stmt = stmt.where(Candidate.state == state)
    return db.session.execute(scoped(stmt.order_by(Candidate.student_number, Candidate.id),
                                     Candidate)).scalars().all()


def publicity_version(candidates):
    return max((record_version(c) for c in candidates), default=0)


def render_form_html(kind, candidate=None, **extra):
    """The form's HTML and its verification code: ``(html, code)``.

    Rendered in Chinese whatever the UI language: these are the official paper forms.
    Raises :class:`UnprintableText` (naming the field) for a character no font can draw.
    """
    if "candidates" in extra:
        extra["candidates"] = list(extra["candidates"])
    printed = [candidate] if candidate is not None else extra.get("candidates") or []
    node = extra.get("node")
    try:
        with force_locale("zh"):
            return _render_form_html(kind, candidate, extra)
    except UnprintableText as exc:
        exc.field = exc.field or _field_holding(exc.char, _text_sources(printed, node))
        raise


def forms_env():
    """The app's Jinja environment with :func:`printable` as ``finalize``: every ``{{ }}``
    of every form goes through it, so no template can forget a rare character."""
    app = current_app._get_current_object()
    env = app.extensions.get("kaosheng_forms_env")
    if env is None:
        env = app.extensions["kaosheng_forms_env"] = app.jinja_env.overlay(finalize=printable)
    return env


def _render(template, ctx):
    current_app.update_template_context(ctx)  # what render_template adds (g, config …)
    return forms_env().get_template(template).render(ctx)


def _text_sources(candidates, node):
    """``(label, text)`` of the values a form may print, to name the field of a refusal."""
    sources = []
    for c in candidates:
        sources += [(LABELS[col], getattr(c, col)) for col in (
            "name", "address", "graduation_school", "student_number", "remark")]
        sources += [(LABELS["guardian1_name"], g.name) for g in c.guardians]
        sources += [(LABELS["work_unit"], g.work_unit) for g in c.guardians]
        sources += [(LABELS["school"], s.school) for s in c.studies]
        sources += [(LABELS["role"], s.role) for s in c.studies]
        sources += [(LABELS["node"], c.node.name if c.node else None)]
    sources.append((LABELS["node"], node.name if node is not None else None))
    return sources


def _field_holding(char, sources):
    return next((label for label, text in sources if text and char in str(text)), None)


def _render_form_html(kind, candidate, extra):
    spec = FORMS[kind]
    # The exam kinds of app/codes.py, for the parts of a form only one kind prints.
    ctx = {"title": spec.title, "kind": kind, "date": _date, "photo_src": None,
           "ADULT": ADULT, "GAOKAO": GAOKAO}
    if spec.needs_candidate:
        if candidate is None:
            raise ValueError(f"form {kind!r} needs a candidate")
        exam_kind = candidate.exam.kind if candidate.exam else None
        if form_refusal(kind, exam_kind) is not None:
            raise NotForExam(kind, exam_kind)
        ctx.update(_candidate_context(kind, candidate, extra))
        code = candidate_code(kind, candidate)
    elif kind == "publicity":
        node, exam = extra.pop("node"), extra.pop("exam", None)
        candidates = list(extra.pop("candidates"))
        rows = publicity_rows(candidates)
        per = PUBLICITY_ROWS_PER_PAGE
        ctx.update(node=node, exam=exam, total=len(rows), show_page_count=True,
                   pages=[rows[i:i + per] for i in range(0, len(rows), per)])
        code = code_for(kind, node.id, publicity_version(candidates))
    else:
        code = code_for(kind, 0, DRAFT_VERSION)
    ctx.update(extra)
    ctx["verification_code"] = code
    ctx["generated_at"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return _render(spec.template, ctx), code


def render_form(kind, candidate=None, photo=None, **extra):
    """Render one form to PDF bytes.

    ``photo``: the JPEG to embed (default: the candidate's current photo, if any).
    Raises :class:`NoTicket` for a 准考证 without a ticket and :class:`NotForExam` for a form
    that does not exist for the candidate's exam kind.
    """
    pdf, _code = render_form_with_code(kind, candidate, photo=photo, **extra)
    return pdf


def render_form_with_code(kind, candidate=None, photo=None, **extra):
    """``(pdf bytes, verification code)``."""
    images = {}
    if candidate is not None and FORMS[kind].needs_candidate:
        data = photo if photo is not None else photo_bytes(candidate)
        if data:
            images["photo"] = data
            extra["photo_src"] = "mem:photo"
    html, code = render_form_html(kind, candidate, **extra)
    return render_pdf(html, images=images), code
