"""Progress counts kept by the database (app/progress.py): whatever writes a candidate or a
photo — ORM, Core executemany as the import does, a move to another unit, a delete that
cascades to photos — the counters equal a recount, before and after compaction, and the home
page reads them."""
import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import delete, insert, select, update

from app import progress
from app.candidates.models import Candidate
from app.validators import make_id_number
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.photos.models import ID_DOCUMENT, PHOTO, CandidatePhoto, StoredFile


def consistent():
    assert progress.stored_counts() == {k: v for k, v in progress.recount_rows().items() if v}


def _exam_and_school(code="41010201"):
    exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO,
                                                 Exam.year == 2026)).scalar_one()
    return exam, db.session.execute(select(Node).where(Node.code == code)).scalar_one()


def _numbers(n):
    """n ID numbers nobody holds yet (a birth date of this test run's own)."""
    taken = set(db.session.execute(select(Candidate.id_number)).scalars())
    birth = dt.date(2009, 1, 1) + dt.timedelta(days=uuid.uuid4().int % 300)
    found = []
    for seq in range(101, 999):
        number = make_id_number("410102", birth, seq)
        if number not in taken:
            found.append((number, birth, "1" if seq % 2 else "2"))
        if len(found) == n:
            return found
    pytest.skip("no free ID numbers left for this birth date")


def _stored_file():
    sha = uuid.uuid4().hex * 2
    db.session.add(StoredFile(sha256=sha, size=1, content_type="image/jpeg"))
    return sha


def test_every_writer_keeps_the_counters_equal_to_a_recount(app):
    with app.app_context():
        consistent()
        exam, school = _exam_and_school()
        other = _exam_and_school("41010202")[1] if db.session.execute(
            select(Node.id).where(Node.code == "41010202")).scalar() else school
        numbers = _numbers(5)
        # ORM insert, then Core executemany (the registry import's path)
        first = Candidate(exam=exam, node=school, name="计数甲", gender=numbers[0][2],
                          birth_date=numbers[0][1], id_number=numbers[0][0])
        db.session.add(first)
        db.session.commit()
        db.session.execute(insert(Candidate), [
            dict(exam_id=exam.id, node_id=school.id, name=f"计数{i}", gender=g, birth_date=b,
                 id_number=num, state="draft", locked=False, version=1)
            for i, (num, b, g) in enumerate(numbers[1:])])
        db.session.commit()
        consistent()
        ids = db.session.execute(select(Candidate.id).where(
            Candidate.id_number.in_([n for n, _, _ in numbers]))).scalars().all()
        # review state, lock, and a move to another unit in one executemany-free UPDATE
        db.session.execute(update(Candidate).where(Candidate.id.in_(ids[:3]))
                           .values(state="confirmed"))
        db.session.execute(update(Candidate).where(Candidate.id == ids[0]).values(locked=True))
        db.session.commit()
        consistent()
        # photos: current portrait counts, an ID-document scan does not, replacement keeps one
        for cid in ids[:2]:
            db.session.add(CandidatePhoto(candidate_id=cid, kind=PHOTO, file_sha256=_stored_file(),
                                          original_sha256=_stored_file()))
        db.session.add(CandidatePhoto(candidate_id=ids[2], kind=ID_DOCUMENT,
                                      file_sha256=_stored_file(), original_sha256=_stored_file()))
        db.session.commit()
        consistent()
        db.session.execute(update(CandidatePhoto).where(CandidatePhoto.candidate_id == ids[1])
                           .values(current=False))
        db.session.commit()
        consistent()
        db.session.execute(update(Candidate).where(Candidate.id == ids[0])
                           .values(node_id=other.id, locked=False))
        db.session.commit()
        consistent()
        # a delete cascades to the photos: counted once, not twice
        db.session.execute(delete(Candidate).where(Candidate.id.in_(ids)))
        db.session.commit()
        consistent()


def test_compaction_folds_deltas_without_changing_counts(app, monkeypatch):
    with app.app_context():
        before = progress.stored_counts()
        progress.compact()
        assert db.session.execute(select(progress.ProgressDelta.id)).first() is None
        assert progress.stored_counts() == before
        consistent()
        # reading compacts once the deltas pile up past the configured size
        exam, school = _exam_and_school()
        num, birth, gender = _numbers(1)[0]
        db.session.add(Candidate(exam=exam, node=school, name="计数乙", gender=gender,
                                 birth_date=birth, id_number=num))
        db.session.commit()
        monkeypatch.setitem(app.config, "PROGRESS_COMPACT_AT", 0)
        progress.unit_counts(school, exam.id, [school])
        assert db.session.execute(select(progress.ProgressDelta.id)).first() is None
        consistent()


def _school_total(page, exam_id, code):
    table = page[page.index(f'id="progress-{exam_id}"'):]
    row = re.search(rf'<tr data-unit="{code}"[^>]*><td>[^<]*</td><td><a [^>]*>(\d+)</a></td>', table)
    return int(row.group(1))


def test_home_page_shows_the_kept_counts(login, app):
    c = login("zy_admin")
    with app.app_context():
        exam, school = _exam_and_school()
        progress.compact()
        shown = _school_total(c.get("/").get_data(as_text=True), exam.id, school.code)
        num, birth, gender = _numbers(1)[0]
        db.session.add(Candidate(exam=exam, node=school, name="计数丙", gender=gender,
                                 birth_date=birth, id_number=num))
        db.session.commit()
        expected = progress.recount_rows().get((exam.id, school.id, progress.TOTAL), 0)
    page = c.get("/").get_data(as_text=True)
    assert _school_total(page, exam.id, school.code) == shown + 1 == expected
