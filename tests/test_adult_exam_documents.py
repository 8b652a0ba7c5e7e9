"""成人高考 after numbering: the exam area submits its room allocation, the city approves it,
and only then the 考务资料 job writes one PDF of seat lists, door stickers, sign-in sheets and
site summaries — each room's pages list exactly the candidates seated there (read back with
pdftotext). A renumbering opens the allocation again. The module builds its own database."""
import datetime as dt
import itertools
import re
import subprocess

from sqlalchemy import select

from app.adult.models import AdultPayment, ExamDocumentRun, ExamSite, RoomAllocation, \
    SeatAssignment
from app.audit import AuditLog
from app.candidates.models import Candidate, Preference
from app.codes import ADULT
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.phases.models import Phase
from app.photos import storage
from app.photos.models import PHOTO, CandidatePhoto, StoredFile
from app.printing.models import AdmissionTicket
from app.validators import make_id_number
from helpers import exam_id, text
from photo_faces import encode, portrait

OPEN = (dt.datetime(2026, 1, 1), dt.datetime(2099, 1, 1))
_seq = itertools.count(11, 2)
_number = itertools.count(1)
TICKET = re.compile(r"(?<!\d)26\d{13}(?!\d)")


def window(app, activity, span):
    with app.app_context():
        phase = db.session.execute(select(Phase).where(
            Phase.exam_id == exam_id(app, ADULT), Phase.activity == activity)).scalar_one()
        phase.start, phase.end = span
        db.session.commit()


def make(app, point, level, track=None, major=None, name="考务考生"):
    with app.app_context():
        exam = db.session.get(Exam, exam_id(app, ADULT))
        node = db.session.execute(select(Node).where(Node.code == point)).scalar_one()
        birth = dt.date(1994, 6, 7)
        cand = Candidate(exam=exam, node=node, name=name, gender="2", birth_date=birth,
                         id_number=make_id_number(node.parent.code, birth, next(_seq)),
                         category=level, state="school_approved", phone="13700000000",
                         candidate_number=f"26{node.parent.code}7{next(_number):05d}")
        cand.preferences.append(Preference(
            seq=1, level=level, track=track, major_category=major, study_form="3",
            school_code="10459", school_name="郑州大学", major_code="120203",
            major_name="会计学"))
        db.session.add(cand)
        db.session.flush()
        db.session.add(AdultPayment(candidate_id=cand.id, amount=160,
                                    paid_at=dt.datetime(2026, 9, 5, 10),
                                    transaction_id=f"D{cand.id:08d}"))
        db.session.commit()
        return cand.id


def give_photo(app, cid):
    """A stored current photo (the upload and its checks are other modules' subject)."""
    data = encode(portrait())
    with app.app_context():
        sha = storage.store(data)
        if db.session.get(StoredFile, sha) is None:
            db.session.add(StoredFile(sha256=sha, size=len(data), content_type="image/jpeg"))
        db.session.add(CandidatePhoto(candidate_id=cid, kind=PHOTO, file_sha256=sha,
                                      original_sha256=sha, current=True))
        db.session.commit()


def numbering(client, exam, renumber=False):
    client.refresh_token(f"/adult/numbering/?exam={exam}")
    resp = client.post("/adult/numbering/run", {"exam": exam,
                                                "renumber": "1" if renumber else ""})
    client.run_jobs()
    page = text(client.get(resp.location))
    assert "完成" in page, page
    return page


def allocation(client, exam, area, action, reason=None):
    client.refresh_token(f"/adult/allocation/?exam={exam}")
    form = {"exam": exam, "area": area, "action": action}
    if reason:
        form["reason"] = reason
    return client.post("/adult/allocation/decide", form, follow_redirects=True)


def state_of(app, exam, area):
    with app.app_context():
        return db.session.execute(select(RoomAllocation.state).where(
            RoomAllocation.exam_id == exam, RoomAllocation.node_id == area)).scalar()


def generate(client, exam, unit):
    client.refresh_token(f"/adult/documents/?exam={exam}")
    return client.post("/adult/documents/run", {"exam": exam, "unit": unit})


def seated_rooms(app, exam, area_code):
    """{(site code, room): {ticket numbers}} of the area's sites, from the database."""
    with app.app_context():
        rows = db.session.execute(
            select(ExamSite.code, SeatAssignment.room, AdmissionTicket.ticket_number)
            .join(SeatAssignment, SeatAssignment.site_id == ExamSite.id)
            .join(AdmissionTicket, AdmissionTicket.candidate_id == SeatAssignment.candidate_id)
            .join(Node, Node.id == ExamSite.node_id)
            .where(ExamSite.exam_id == exam, Node.code == area_code)).all()
    rooms = {}
    for code, room, number in rows:
        rooms.setdefault((code, room), set()).add(number)
    return rooms


def pdf_pages(data, tmp_path):
    path = tmp_path / "docs.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    return out.split("\f")


def test_documents_follow_the_citys_approval_and_list_each_rooms_candidates(
        app, login, ids, tmp_path):
    eid = exam_id(app, ADULT)
    window(app, "ticket_numbering", OPEN)
    zy_area = ids.node("410102")
    with app.app_context():  # small rooms: three groups over several rooms
        site = db.session.execute(select(ExamSite).where(
            ExamSite.exam_id == eid, ExamSite.node_id == zy_area)).scalar_one()
        site.seats_per_room = 4
        db.session.commit()
    people = ([make(app, "BM410102", "01", "2", name=f"理工{i}") for i in range(6)]
              + [make(app, "BM410102", "02", "1", name=f"文史{i}") for i in range(3)]
              + [make(app, "BM410102", "03", None, "09", name=f"医学{i}") for i in range(2)])
    zy, eq, city, province = (login("zy_admin"), login("eq_admin"), login("zz_admin"),
                              login("henan_admin"))
    give_photo(app, people[0])  # the seat list shows it
    # Before numbering there is nothing to submit.
    assert "尚未编排考生" in text(allocation(zy, eid, zy_area, "submit"))
    numbering(province, eid)
    # Documents are refused before the city's approval, with the reason.
    resp = generate(zy, eid, zy_area)
    assert resp.status_code == 302
    page = text(zy.get(resp.location))
    assert "尚未经市级批准" in page and "中原区（未报送）" in page
    with app.app_context():
        assert db.session.execute(select(ExamDocumentRun)).first() is None
    # The county cannot approve its own allocation; the sibling county cannot touch it.
    assert eq.post("/adult/allocation/decide", {"exam": eid, "area": zy_area,
                                                "action": "submit"}).status_code == 404
    assert "中原区" not in text(eq.get(f"/adult/allocation/?exam={eid}"))
    allocation(zy, eid, zy_area, "submit")
    assert state_of(app, eid, zy_area) == "submitted"
    assert "不能执行" in text(allocation(zy, eid, zy_area, "approve"))
    assert "必须填写原因" in text(allocation(city, eid, zy_area, "return"))
    allocation(city, eid, zy_area, "return", "第 3 考场与实际不符")
    assert state_of(app, eid, zy_area) == "returned"
    allocation(zy, eid, zy_area, "submit")
    allocation(city, eid, zy_area, "approve")
    assert state_of(app, eid, zy_area) == "approved"
    # A renumbering opens it again.
    numbering(province, eid, renumber=True)
    assert state_of(app, eid, zy_area) == "open"
    assert "尚未经市级批准" in text(zy.get(generate(zy, eid, zy_area).location))
    allocation(zy, eid, zy_area, "submit")
    allocation(city, eid, zy_area, "approve")
    resp = generate(zy, eid, zy_area)
    run_id = int(resp.location.rstrip("/").split("/")[-1])
    zy.run_jobs()
    page = text(zy.get(resp.location))
    assert "完成" in page, page
    status = zy.get(f"/adult/documents/job/{run_id}/status").get_json()
    assert status["status"] == "done" and status["result_url"]
    # The sibling county sees nothing of it.
    for url in (f"/adult/documents/job/{run_id}", f"/adult/documents/job/{run_id}/status",
                f"/adult/documents/job/{run_id}/download"):
        assert eq.get(url).status_code == 404
    download = zy.get(f"/adult/documents/job/{run_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    pages = pdf_pages(download.data, tmp_path)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "docs.pdf")], check=True,
                            capture_output=True).stdout.decode().splitlines()[2:]
    assert len(images) == 1  # the one photo, on the seat list of its room
    expected = seated_rooms(app, eid, "410102")
    assert sum(len(v) for v in expected.values()) >= len(people)
    assert len({len(v) for v in expected.values()}) >= 1 and len(expected) >= 4
    seat_lists, sign_ins, stickers, summaries = {}, {}, {}, 0
    for page in pages:
        room = re.search(r"第\s*(\d{3})\s*考场", page)
        numbers = set(TICKET.findall(page))
        if "考点汇总表" in page:
            summaries += 1
        elif "考场座位表" in page:
            seat_lists.setdefault(int(room.group(1)), set()).update(numbers)
        elif "考生签到表" in page:
            sign_ins.setdefault((int(room.group(1)), re.search(r"科目：(\S+)", page).group(1)),
                                set()).update(numbers)
        elif room:
            stickers[int(room.group(1))] = page
    assert summaries == 1
    by_room = {room: numbers for (_code, room), numbers in expected.items()}
    # Exactly the seated candidates of each room, on its seat list and on every sign-in sheet.
    assert seat_lists == by_room
    for (room, _subject), numbers in sign_ins.items():
        assert numbers == by_room[room]
    assert {room for room, _s in sign_ins} == set(by_room)
    subjects = {s for _r, s in sign_ins}
    assert {"语文", "数学（理）", "理化综合", "政治", "医学综合"} <= subjects
    with app.app_context():
        names = dict(db.session.execute(select(AdmissionTicket.ticket_number, Candidate.name)
                                        .join(Candidate)).all())
    for room, numbers in by_room.items():
        sticker = stickers[room]
        assert min(numbers) in sticker and max(numbers) in sticker
        listing = "".join(p for p in pages if "考场座位表" in p and f"第 {room:03d} 考场" in p)
        assert all(names[n] in listing for n in numbers)
    with app.app_context():
        assert db.session.execute(select(AuditLog).where(
            AuditLog.action == "documents", AuditLog.username == "zy_admin")).first()
