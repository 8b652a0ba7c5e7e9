"""The archive parts' SQL state expressions (``state_sql``) give exactly the state of their
Python ``states`` readers, for candidates built in every state of every part (physical exam,
bonus and special-plan claims, preferences, scores, academic and quality results, registration,
integrity), and with every part giving one the completeness report counts a unit with one
GROUP BY per level and agrees with the chunked fallback.

The module builds its own school under 中原区 holding only its candidates.
"""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.candidates.models import Candidate
from app.codes import GAOKAO
from app.exams.models import Exam
from app.extensions import db
from app.gaokao import archive, archive_report
from app.gaokao import academic, bonus_rules, physical_workflow, preference_rules  # noqa: F401
from app.gaokao import bonus_codes, registration_part, scores  # noqa: F401
from app.gaokao.bonus_models import BonusClaim
from app.gaokao.models import IntegrityRecord, PhysicalExam
from app.gaokao.preference_models import GaokaoPreference, PreferenceBatch
from app.gaokao.registration_models import GaokaoRegistration
from app.gaokao.score_models import BasicEduResult, GaokaoScore
from app.jurisdiction import Node
from app.validators import make_id_number

SCHOOL = "41010297"
M, E, C, N = archive.MISSING, archive.ENTERED, archive.CONFIRMED, archive.NOT_REQUIRED

#: physical exam row state (None: no row) → expected state
PHYSICAL = [(None, M), ("entered", E), ("proofread", E), ("confirmed", C), ("odd", E)]
#: claims [(policy, state)] → (bonus state, special-plan state)
CLAIMS = [
    ([], (N, N)),
    ([("MZ", "submitted")], (E, N)),
    ([("LS", "approved")], (C, N)),
    ([("LS", "rejected")], (N, N)),
    ([("MZ", "approved"), ("LS", "entered")], (E, N)),
    ([("MZ", "rejected"), ("LS", "approved")], (C, N)),
    ([("PK", "approved")], (N, C)),
    ([("PK", "county_ok")], (N, E)),
    ([("PK", "rejected")], (N, N)),
    ([("PK", "approved"), ("NC", "city_ok")], (N, E)),
    ([("MZ", "approved"), ("PK", "rejected")], (C, N)),
    ([("NC", "submitted"), ("TY", "approved"), ("GL", "rejected")], (C, E)),
]
#: preferences: which batches hold some ("req1", "req2": required; "opt": not) → state
PREFS = [((), M), (("opt",), M), (("req1",), E), (("req1", "req2"), C),
         (("req1", "req2", "opt"), C), (("req2", "req2"), E)]
#: academic / quality items held → (academic state, quality state)
BASIC = [((), (M, M)), ((("academic", "A1"),), (C, M)), ((("quality", "Q1"),), (M, C)),
         ((("academic", "A1"), ("academic", "A2"), ("quality", "Q1")), (C, C))]
REGISTRATION = [(None, M), ("entered", E), ("confirmed", C)]
COUNT = 24


def _physical(cand, state):
    return PhysicalExam(
        candidate=cand, hospital="郑州市体检中心", exam_date=dt.date(2026, 3, 1),
        vision_naked_right=5.0, vision_naked_left=5.0, colour_vision="1", bp_systolic=110,
        bp_diastolic=70, height=170, weight=60, hearing_right=5, hearing_left=5, smell="1",
        conclusion="1", doctor="张医生", state=state)


def _build(app):
    exam = db.session.execute(select(Exam).where(Exam.kind == GAOKAO, Exam.year == 2026)
                              ).scalar_one()
    county = db.session.execute(select(Node).where(Node.code == "410102")).scalar_one()
    own = Node(code=SCHOOL, name="中原区状态测试中学", kind="school", parent=county,
               path=county.path + SCHOOL + "/", active=True)
    db.session.add(own)
    # every required batch of the exam the demo made is filled too for a "confirmed" row
    others = db.session.execute(select(PreferenceBatch).where(
        PreferenceBatch.exam_id == exam.id, PreferenceBatch.required.is_(True))).scalars().all()
    batches = {}
    for i, (key, required) in enumerate((("req1", True), ("req2", True), ("opt", False))):
        batches[key] = PreferenceBatch(exam=exam, code=f"Z{i}", name=f"状态测试批次{i}",
                                       seq=90 + i, schools=6, majors=6, required=required)
        db.session.add(batches[key])
    # one candidate of another exam holding a preference of this exam's batch
    other_exam = Exam(kind=GAOKAO, year=2031, name="状态测试另一考试", active=False)
    db.session.add(other_exam)
    people = []
    for i in range(COUNT + 3):
        birth = dt.date(2008, 1 + i % 12, 1 + i)
        cand = Candidate(exam=other_exam if i == COUNT + 1 else exam, node=own,
                         name=f"状态{i:02d}", gender="1", birth_date=birth, category="01",
                         candidate_number=f"264101029700{i:02d}",
                         id_number=make_id_number("410102", birth, 700 + i))
        db.session.add(cand)
        people.append(cand)
    for i, cand in enumerate(people[:COUNT]):
        state = PHYSICAL[i % len(PHYSICAL)][0]
        if state:
            db.session.add(_physical(cand, state))
        for policy, claim_state in CLAIMS[i % len(CLAIMS)][0]:
            db.session.add(BonusClaim(candidate=cand, part=bonus_codes.policy(policy)["part"],
                                      policy=policy,
                                      state=claim_state))
        held = PREFS[i % len(PREFS)][0]
        for seq, key in enumerate(held, 1):
            db.session.add(GaokaoPreference(candidate=cand, batch=batches[key], seq=seq,
                                            school_code="10459", school_name="郑州大学",
                                            majors=[], adjust=True))
        if PREFS[i % len(PREFS)][1] == C:
            for seq, batch in enumerate(others, 1):
                db.session.add(GaokaoPreference(candidate=cand, batch=batch, seq=seq,
                                                school_code="10459", school_name="郑州大学",
                                                majors=[], adjust=True))
        if i % 2:
            db.session.add(GaokaoScore(candidate=cand, total=Decimal("512.5")))
        for part, item in BASIC[i % len(BASIC)][0]:
            db.session.add(BasicEduResult(candidate=cand, part=part, item=item, grade="A"))
        reg = REGISTRATION[i % len(REGISTRATION)][0]
        if reg:
            db.session.add(GaokaoRegistration(
                candidate=cand, exam_id=exam.id, registration_number=cand.candidate_number,
                graduation_kind="1", exam_type="1", hukou_type="2", school_code=SCHOOL,
                application_kind="1", fee_state="1", fee_amount=120,
                paid_at=dt.datetime(2025, 11, 10, 9), state=reg))
        if i % 5 == 0:
            db.session.add(IntegrityRecord(**_integrity(cand)))
    db.session.add(GaokaoPreference(candidate=people[COUNT + 1], batch=batches["req1"], seq=1,
                                    school_code="10459", school_name="郑州大学", majors=[],
                                    adjust=True))
    # and one complete candidate: every part confirmed or not applicable
    done = people[COUNT + 2]
    db.session.add(_physical(done, "confirmed"))
    for seq, batch in enumerate([batches["req1"], batches["req2"], *others], 1):
        db.session.add(GaokaoPreference(candidate=done, batch=batch, seq=seq, school_code="10459",
                                        school_name="郑州大学", majors=[], adjust=True))
    db.session.add(GaokaoScore(candidate=done, total=Decimal("600")))
    for part, item in (("academic", "A1"), ("quality", "Q1")):
        db.session.add(BasicEduResult(candidate=done, part=part, item=item, grade="A"))
    db.session.add(GaokaoRegistration(
        candidate=done, exam_id=exam.id, registration_number=done.candidate_number,
        graduation_kind="1", exam_type="1", hukou_type="2", school_code=SCHOOL,
        application_kind="1", fee_state="1", fee_amount=120,
        paid_at=dt.datetime(2025, 11, 10, 9), state="confirmed"))


def _integrity(cand):
    """The required columns of an integrity record (whatever the model asks for)."""
    values = {"candidate": cand}
    for column in IntegrityRecord.__table__.columns:
        if column.nullable or column.primary_key or column.default is not None \
                or column.server_default is not None or column.name == "candidate_id":
            continue
        kind = column.type.python_type
        values[column.name] = {str: "1", int: 1, dt.date: dt.date(2026, 6, 7),
                               dt.datetime: dt.datetime(2026, 6, 7, 9)}[kind]
    return values


@pytest.fixture(scope="module")
def app(module_app):
    with module_app("gstate_archive", _build) as app:
        yield app


def _ids(app):
    with app.app_context():
        own = db.session.execute(select(Node.id).where(Node.code == SCHOOL)).scalar_one()
        rows = db.session.execute(select(Candidate.id).where(Candidate.node_id == own)
                                  .order_by(Candidate.id)).scalars().all()
        county = db.session.execute(select(Node.id).where(Node.code == "410102")).scalar_one()
        exam = db.session.execute(select(Exam.id).where(Exam.kind == GAOKAO,
                                                        Exam.year == 2026)).scalar_one()
    return rows, county, exam


def _expected(i):
    bonus, special = CLAIMS[i % len(CLAIMS)][1]
    acad, quality = BASIC[i % len(BASIC)][1]
    return {"physical": PHYSICAL[i % len(PHYSICAL)][1], "bonus": bonus,
            "special_plan": special, "preferences": PREFS[i % len(PREFS)][1],
            "scores": C if i % 2 else M, "academic": acad, "quality": quality,
            "registration": REGISTRATION[i % len(REGISTRATION)][1],
            "integrity": C if i % 5 == 0 else N}


def test_every_part_gives_a_sql_state():
    keys = {p.key for p in archive.parts() if p.state_sql is not None}
    assert keys >= set(archive.PART_ORDER), set(archive.PART_ORDER) - keys


def test_sql_state_equals_python_state_for_every_candidate(app):
    ids, _county, _exam = _ids(app)
    with app.app_context():
        # the module's candidates and a slice of the demo's
        demo = db.session.execute(select(Candidate.id).order_by(Candidate.id).limit(1500)
                                  ).scalars().all()
        every = sorted(set(ids) | set(demo))
        seen = {}
        for part in archive.parts():
            py = part.states(every)
            sql = archive.states_from_sql(part, every)
            differ = {cid: (py.get(cid, M), sql.get(cid)) for cid in every
                      if py.get(cid, M) != sql.get(cid)}
            assert not differ, (part.key, differ)
            seen[part.key] = {py.get(cid, M) for cid in ids}
        # the built candidates are in the states the scenarios name (so the check covers them)
        for i, cid in enumerate(ids[:COUNT]):
            for key, state in _expected(i).items():
                assert archive.states_from_sql(archive._PARTS[key], [cid])[cid] == state, \
                    (i, key)
        # the other exam's candidate holds a preference of a batch it need not fill: entered
        other, done = ids[COUNT + 1], ids[COUNT + 2]
        assert archive.states_from_sql(archive._PARTS["preferences"], [other])[other] == E
        assert not archive.incomplete({p.key: archive.states_from_sql(p, [done])[done]
                                       for p in archive.parts()})
    assert seen["physical"] == {M, E, C}
    assert seen["bonus"] == seen["special_plan"] == {N, E, C}
    assert seen["integrity"] == {N, C}


def test_report_runs_the_fast_path_and_agrees_with_the_fallback(app, monkeypatch):
    from sqlalchemy import event

    ids, county, exam = _ids(app)
    with app.test_request_context():
        node = db.session.get(Node, county)
        seen = []
        listen = lambda *a, **k: seen.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            total, rows = archive_report.unit_rows(node, exam)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        # one GROUP BY for the children's subtrees and one for the unit itself, nothing chunked
        assert len([s for s in seen if "GROUP BY" in s]) == 2, seen
        assert len(seen) <= 4, seen
        fast = {r.code: (r.total, r.complete, r.parts) for r in rows}
        fast_incomplete = {p.key: list(archive_report.iter_incomplete_ids(node, exam, p.key))
                           for p in archive.parts()}
        fast_all = list(archive_report.iter_incomplete_ids(node, exam))

        for key, part in list(archive._PARTS.items()):
            monkeypatch.setitem(archive._PARTS, key, archive.ArchivePart(
                part.key, part.order, part.label, part.states, part.link, part.summary))
        assert archive_report._sql_parts() is None
        total2, rows2 = archive_report.unit_rows(node, exam)
        assert {r.code: (r.total, r.complete, r.parts) for r in rows2} == fast
        assert (total.total, total.complete, total.parts) == (total2.total, total2.complete,
                                                              total2.parts)
        for key, found in fast_incomplete.items():
            assert list(archive_report.iter_incomplete_ids(node, exam, key)) == found, key
        assert list(archive_report.iter_incomplete_ids(node, exam)) == fast_all
    # 中原区's report counts the module's school as a child with its candidates of the exam
    own = [r for r in rows if r.code == SCHOOL]
    assert len(own) == 1 and (own[0].total, own[0].complete) == (COUNT + 2, 1)
    # per part [missing, entered]: the scenarios' and the empty candidate's (all missing but
    # bonus, special plan and integrity: not applicable)
    for key in archive.PART_ORDER:
        states = [_expected(i)[key] for i in range(COUNT)]
        empty = 1 if key not in ("bonus", "special_plan", "integrity") else 0
        assert own[0].parts[key] == [states.count(M) + empty, states.count(E)], key
