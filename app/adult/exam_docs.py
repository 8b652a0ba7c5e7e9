"""考务资料 of the 成人高考 (seed 004 §四.12): for every exam site of a unit's subtree with
candidates seated, a 考点汇总表 (rooms, counts per paper group), then per room its 门贴 (room,
site, paper group, ticket range), 考场座位表 (photo, name, ticket number, ID number per seat)
and one 签到表 per session of the room's timetable — one PDF, written to disk a room at a time
(printing.pdf.PdfConcatenation), so the job's memory does not grow with the unit.

The rooms list exactly the candidates seated there (``ks_adult_seat``), with the number of
their 准考证 (a ticket corrected by hand prints as corrected).
"""
import datetime as dt
from collections import Counter, OrderedDict

from sqlalchemy import select

from .. import filestore
from ..candidates.models import Candidate
from ..extensions import db
from ..jurisdiction import Node, subtree_range
from ..printing.models import AdmissionTicket
from ..printing.pdf import PdfConcatenation, render_pdf
from ..printing.render import forms_env, photo_bytes
from .logistics import group_label, ticket_number, timetable
from .models import ExamSite, SeatAssignment

#: the file-store folder of the generated documents
DOCUMENTS = "adult-documents"
SEATS_PER_LINE, LINES_PER_PAGE, SIGN_ROWS_PER_PAGE = 5, 6, 30


def sites_with_seats(exam_id, unit):
    """The exam sites of ``unit``'s subtree where candidates are seated, in area and code
    order."""
    seated = select(SeatAssignment.site_id).distinct()
    return db.session.execute(select(ExamSite).join(Node, Node.id == ExamSite.node_id).where(
        ExamSite.exam_id == exam_id, subtree_range(Node.path, unit.path),
        ExamSite.id.in_(seated)).order_by(Node.path, ExamSite.code)).scalars().all()


def room_summary(site):
    """[{room, group, count, first, last}] of the site's used rooms, in room order (one
    query)."""
    rows = db.session.execute(
        select(SeatAssignment.room, SeatAssignment.seat, SeatAssignment.paper_group,
               AdmissionTicket.ticket_number)
        .outerjoin(AdmissionTicket, AdmissionTicket.candidate_id == SeatAssignment.candidate_id)
        .where(SeatAssignment.site_id == site.id)
        .order_by(SeatAssignment.room, SeatAssignment.seat)).all()
    rooms = OrderedDict()
    for room, seat, group, number in rows:
        number = number or _number(site, room, seat)
        entry = rooms.setdefault(room, {"room": f"{room:03d}", "number": room,
                                        "group": group_label(group), "key": group, "count": 0,
                                        "first": number, "last": number})
        entry["count"] += 1
        entry["last"] = number
    return list(rooms.values())


def _number(site, room, seat):
    return ticket_number(site.exam.year, site.node.code, site.code, room, seat)


def room_roster(site, room):
    """The candidates seated in one room, in seat order: [{seat, name, ticket, id_number,
    candidate}]."""
    rows = db.session.execute(
        select(SeatAssignment.seat, Candidate, AdmissionTicket.ticket_number)
        .join(Candidate, Candidate.id == SeatAssignment.candidate_id)
        .outerjoin(AdmissionTicket, AdmissionTicket.candidate_id == Candidate.id)
        .where(SeatAssignment.site_id == site.id, SeatAssignment.room == room)
        .order_by(SeatAssignment.seat)).all()
    return [{"seat": f"{seat:02d}", "name": cand.name, "id_number": cand.id_number,
             "ticket": number or _number(site, room, seat), "candidate": cand}
            for seat, cand, number in rows]


def _render(template, ctx, images=None):
    ctx = {**ctx, "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    return render_pdf(forms_env().get_template(template).render(ctx), images=images or {})


def site_summary_pdf(exam, site, rooms, code):
    groups = OrderedDict()
    for r in rooms:
        n_rooms, count = groups.get(r["group"], (0, 0))
        groups[r["group"]] = (n_rooms + 1, count + r["count"])
    return _render("forms/adult_site_summary.html", {
        "exam": exam, "site": site, "rooms": rooms, "total": sum(r["count"] for r in rooms),
        "groups": [(label, n, c) for label, (n, c) in groups.items()],
        "verification_code": code})


def room_pdf(exam, site, room, code):
    """门贴, 考场座位表 and 签到表 of one room (``room`` as room_summary gives it)."""
    rows = room_roster(site, room["number"])
    images = {}
    for row in rows:
        data = photo_bytes(row.pop("candidate"))
        if data:
            images[f"p{row['seat']}"] = data
            row["photo_src"] = f"mem:p{row['seat']}"
    lines = [rows[i:i + SEATS_PER_LINE] for i in range(0, len(rows), SEATS_PER_LINE)]
    per_page = LINES_PER_PAGE
    return _render("forms/adult_room.html", {
        "exam": exam, "site": site, "room_no": room["room"], "group": room["group"],
        "rows": rows, "first": room["first"], "last": room["last"],
        "seat_pages": [lines[i:i + per_page] for i in range(0, len(lines), per_page)],
        "sign_pages": [rows[i:i + SIGN_ROWS_PER_PAGE]
                       for i in range(0, len(rows), SIGN_ROWS_PER_PAGE)],
        "sessions": timetable(exam.exam_date, room["key"]) if exam.exam_date else [],
        "verification_code": code}, images)


def build_documents(run, unit, progress=None):
    """Write the documents of ``unit``'s sites into the file store; returns (reference,
    summary). ``progress(done, total)`` after each site summary and room."""
    exam = run.exam
    sites = sites_with_seats(exam.id, unit)
    plans = [(site, room_summary(site)) for site in sites]
    total = sum(1 + len(rooms) for _site, rooms in plans)
    done, pages, seated = 0, 0, Counter()
    with filestore.staged(f"{DOCUMENTS}/exam-documents-{run.id}.pdf") as stage:
        with open(stage.path, "wb") as out:
            merged = PdfConcatenation(out)
            for site, rooms in plans:
                code = f"KW{run.id}-{site.node.code}{site.code}"
                merged.append(site_summary_pdf(exam, site, rooms, code))
                done += 1
                if progress:
                    progress(done, total)
                for room in rooms:
                    merged.append(room_pdf(exam, site, room, code))
                    seated[site.id] += room["count"]
                    done += 1
                    if progress:
                        progress(done, total)
            merged.close()
            pages = merged.pages
    summary = {"sites": len(plans), "rooms": sum(len(r) for _s, r in plans),
               "candidates": sum(seated.values()), "pages": pages}
    return stage.ref, summary
