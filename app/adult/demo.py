"""成人高考 demo data: designated confirmation points (低龄 / 医卫类 / 专升本 only), a few
candidates of the 2026 exam, one under 17 on the exam date (the exam date and the calendar
come with the phases, ``app.demo.seed_phases``), an approved exam site (考点) for 中原区 and
二七区 (as if the city and province had approved them), and the province's 报名须知.
Idempotent: existing points, candidates and sites are left as they are (an administrator may
have changed them)."""
import datetime as dt

from sqlalchemy import select

from ..candidates.models import Candidate, Preference
from ..codes import ADULT
from ..exams.models import Exam
from ..exams.notices import Notice
from ..extensions import db
from ..jurisdiction import POINT, Node, make_path
from ..validators import make_id_number
from .models import SITE_APPROVED, ExamSite

# (parent county, code, name, serves_levels, for_minors, for_medical, address, contact, phone)
POINTS = (
    ("410102", "BM410102Y", "中原区医卫类报名确认点", "", False, True,
     "郑州市中原区建设西路 8 号卫生学校", "刘老师", "0371-67891234"),
    ("410103", "BM410103D", "二七区低龄考生报名确认点", "01,02", True, False,
     "郑州市二七区大学路 32 号", "赵老师", "0371-68812345"),
    ("410105", "BM410105Z", "金水区专升本报名确认点", "03", False, False,
     "郑州市金水区文化路 96 号", "孙老师", "0371-63334567"),
)
# (exam area, code, name, address, rooms, seats per room, contact, phone)
SITES = (
    ("410102", "01", "郑州市第五十七中学考点", "郑州市中原区伏牛路 57 号", 20, 30, "陈老师",
     "0371-67650057"),
    ("410103", "01", "郑州市第五十六中学考点", "郑州市二七区大学路 56 号", 15, 30, "周老师",
     "0371-68880056"),
)
# (name, gender, birth date, sequence, category, 考生号, education level, occupation)
CANDIDATES = (
    ("李明华", "1", dt.date(1998, 5, 12), 131, "02", "26410102000001", "60", "4"),
    ("张丽", "2", dt.date(2000, 11, 3), 242, "03", "26410102000002", "30", "2"),
    ("王小军", "1", dt.date(2010, 3, 10), 353, "01", "26410102000003", "60", "Y"),
)


def seed_adult():
    """Points and candidates for the 2026 成人高考 (called from ``app.demo.seed_demo``);
    returns how many candidates it created."""
    nodes = {n.code: n for n in db.session.execute(select(Node)).scalars()}
    for county, code, name, levels, minors, medical, address, contact, phone in POINTS:
        if code in nodes or county not in nodes:
            continue
        parent = nodes[county]
        db.session.add(Node(code=code, name=name, kind=POINT, parent=parent, active=True,
                            path=make_path(parent, code), serves_levels=levels or None,
                            for_minors=minors, for_medical=medical, address=address,
                            contact=contact, phone=phone))
    exam = db.session.execute(
        select(Exam).where(Exam.kind == ADULT, Exam.year == 2026)).scalar_one_or_none()
    point = nodes.get("BM410102")
    if exam is not None:
        _seed_sites(exam, nodes)
        _seed_notice(exam, nodes.get("410000"))
    if exam is None or point is None:
        db.session.flush()
        return 0
    created = 0
    for name, gender, birth, seq, level, number, education, occupation in CANDIDATES:
        id_number = make_id_number("410102", birth, seq)
        if db.session.execute(select(Candidate.id).where(
                Candidate.exam_id == exam.id, Candidate.id_number == id_number)).first():
            continue
        cand = Candidate(exam=exam, node=point, name=name, gender=gender, birth_date=birth,
                         id_number=id_number, ethnicity="01", political_status="13",
                         category=level, candidate_number=number, education_level=education,
                         occupation=occupation, study_form="3", phone=f"1370000{seq:04d}",
                         address="郑州市中原区建设路 1 号", postcode="450000", hukou="410102")
        if level == "03":
            cand.preferences += [
                Preference(seq=1, level="03", major_category="02", study_form="3",
                           school_code="10459", school_name="郑州大学", major_code="120203",
                           major_name="会计学", duration="2.5", adjust=True),
                Preference(seq=2, level="03", major_category="02", study_form="3",
                           school_code="10478", school_name="河南财经政法大学",
                           major_code="120202", major_name="市场营销", duration="2.5")]
        db.session.add(cand)
        created += 1
    db.session.flush()
    return created


NOTICE_TITLE = "2026年成人高考报名须知"
NOTICE_BODY = "\n\n".join((
    "一、报名对象：具有高中（中专）毕业文化程度的在职、从业人员和其他社会人员可报考高中起点本科"
    "（高起本）或高中起点专科（高起专）；已取得国家承认的专科毕业证书的人员可报考专科起点本科"
    "（专升本）。",
    "二、报名方式：考生先在本系统注册用户名和密码，阅读本须知并签订诚信考试承诺书，如实填写基本"
    "信息和志愿，选择报名确认点并网上确认。网上确认后信息不能再修改。",
    "三、现场确认：考生持本人有效身份证件原件（及学历证书等）在规定时间内到所选报名确认点核验证件、"
    "采集照片、签字确认《报名流程表》并现场抄写诚信考试承诺书。确认点工作时间为每日 8:00—12:00、"
    "15:00—18:00。",
    "四、缴费：现场确认后在规定时间内网上缴费，逾期未缴费的报名信息无效。",
    "五、考生须对所填信息的真实性负责，弄虚作假者取消报考资格，并按《国家教育考试违规处理办法》"
    "处理。"))


def _seed_notice(exam, province):
    """The province's published 报名须知, shown on the public sign-up page."""
    if province is None or db.session.execute(select(Notice.id).where(
            Notice.exam_id == exam.id, Notice.title == NOTICE_TITLE)).first():
        return
    db.session.add(Notice(exam_id=exam.id, node_id=province.id, title=NOTICE_TITLE,
                          body=NOTICE_BODY, published=True, published_on=dt.datetime(2026, 8, 25),
                          created_by="demo"))


def _seed_sites(exam, nodes):
    existing = set(db.session.execute(select(ExamSite.node_id, ExamSite.code).where(
        ExamSite.exam_id == exam.id)).all())
    for area, code, name, address, rooms, seats, contact, phone in SITES:
        node = nodes.get(area)
        if node is None or (node.id, code) in existing:
            continue
        db.session.add(ExamSite(exam=exam, node=node, code=code, name=name, address=address,
                                rooms=rooms, seats_per_room=seats, contact=contact,
                                phone=phone, state=SITE_APPROVED))
