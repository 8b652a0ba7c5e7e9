"""Bulk review through HTTP (issue 14): “the N selected” and “all M matching this filter”
travel as a stored selection (never ids in a URL), are applied a chunk at a time with the
version check, each skipped row says why, each record gets its audit row, and a large
selection runs as a job with progress."""
import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.candidates.models import Candidate
from app.codes import ZHONGZHAO
from app.exams.models import Exam
from app.extensions import db
from app.jurisdiction import Node
from app.review.models import ReviewEvent, ReviewSelection, ReviewSelectionRow
from app.validators import make_id_number
from helpers import text

SIGNOFF = {"principal_name": "王校长", "signed_on": "2026-11-20"}
SCHOOL = "41010201"  # zy_school_reviewer's school
_numbers = ((day, seq) for day in itertools.count() for seq in range(902, 999, 2))


def make_many(app, n, name, school=SCHOOL, **fields):
    """``n`` candidates named ``name``1… at ``school``, committed at once; their ids."""
    with app.app_context():
        exam = db.session.execute(
            select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        node = db.session.execute(select(Node).where(Node.code == school)).scalar_one()
        taken = set(db.session.execute(select(Candidate.id_number)).scalars())
        made = []
        while len(made) < n:
            day, seq = next(_numbers)
            birth = dt.date(2010, 1, 1) + dt.timedelta(days=day % 365)
            number = make_id_number(school[:6], birth, seq)
            if number in taken:
                continue
            made.append(Candidate(exam=exam, node=node, name=f"{name}{len(made) + 1}",
                                  gender="2", birth_date=birth, id_number=number,
                                  category="01", **fields))
        db.session.add_all(made)
        db.session.commit()
        return [c.id for c in made]


def states(app, ids):
    with app.app_context():
        return dict(db.session.execute(
            select(Candidate.id, Candidate.state).where(Candidate.id.in_(ids))).all())


class Urls:
    """Every URL a client asked for or was sent to, to show no id travels in one."""

    def __init__(self, client):
        self.client, self.seen = client, []

    def get(self, url):
        self.seen.append(url)
        return self.client.get(url)

    def post(self, url, data):
        self.seen.append(url)
        resp = self.client.post(url, data)
        if resp.location:
            self.seen.append(resp.location)
        return resp

    def carry_no_id(self, ids):
        for url in self.seen:
            assert "ids=" not in url and len(url) < 200, url
            numbers = set(re.findall(r"\d+", url))
            assert not numbers & {str(i) for i in ids[1:]}, url


def select_rows(client, name, ids):
    """The 操作 menu's action on the ticked rows: the confirmation page's URL."""
    client.client.refresh_token("/review/list/")
    resp = client.post("/review/action_post", {"action": name, "rowid": [str(i) for i in ids]})
    assert resp.status_code == 302 and "selection=" in resp.location, resp.location
    return resp.location


def confirm(client, name, location, **form):
    """Open the confirmation page at ``location`` and confirm it; (page, result)."""
    page = text(client.get(location))
    selection = re.search(r'name="selection" value="(\d+)"', page).group(1)
    resp = client.post(f"/review/confirm/{name}", {"selection": selection, **form})
    return page, resp


def audit_rows(app, ids):
    """{candidate id: its audit rows of a state change to school_approved}."""
    with app.app_context():
        rows = db.session.execute(select(AuditLog).where(
            AuditLog.table_name == "ks_candidate", AuditLog.row_id.in_(ids))).scalars()
        found = {}
        for row in rows:
            if (row.changes or {}).get("state") == ["confirmed", "school_approved"]:
                found.setdefault(row.row_id, []).append(row)
        return found


@pytest.mark.parametrize("n", [1, 2, 600])
def test_selected_rows_are_approved_with_no_id_in_any_url(login, app, n):
    ids = make_many(app, n, f"批量{n}考生", state="confirmed")
    reviewer = Urls(login("zy_school_reviewer"))
    location = select_rows(reviewer, "school_approve", ids)
    page, resp = confirm(reviewer, "school_approve", location, **SIGNOFF)
    reviewer.carry_no_id(ids)
    assert f"已选 {n} 条记录" in page
    assert page.count('name="v_') == min(n, 100)  # the first 100 rows shown in detail
    result = text(resp)
    assert resp.status_code == 200 and f"完成 {n} 条，跳过 0 条" in result
    assert set(states(app, ids).values()) == {"school_approved"}
    # One history row and one audit row per record, naming the reviewer.
    audits = audit_rows(app, ids)
    assert sorted(audits) == sorted(ids) and all(len(rows) == 1 for rows in audits.values())
    assert {rows[0].username for rows in audits.values()} == {"zy_school_reviewer"}
    with app.app_context():
        events = db.session.execute(select(func.count()).select_from(ReviewEvent).where(
            ReviewEvent.candidate_id.in_(ids), ReviewEvent.action == "school_approve",
            ReviewEvent.principal_name == "王校长")).scalar_one()
    assert events == n


def test_all_matching_approves_exactly_the_filtered_rows_of_the_subtree(login, app):
    matching = make_many(app, 30, "全选甲", state="confirmed")
    other_name = make_many(app, 3, "全选乙", state="confirmed")
    other_state = make_many(app, 2, "全选甲退", state="rejected")
    with app.app_context():
        elsewhere_code = db.session.execute(
            select(Node.code).join(Candidate, Candidate.node_id == Node.id)
            .where(~Node.path.startswith(db.session.execute(
                select(Node.path).where(Node.code == SCHOOL)).scalar_one()))
            .limit(1)).scalar_one()
    outside = make_many(app, 2, "全选甲外", school=elsewhere_code, state="confirmed")
    reviewer = Urls(login("zy_school_reviewer"))
    listing = text(reviewer.get("/review/list/?_flt_0_state=confirmed&_flt_0_name=全选甲"))
    assert 'id="review-all-matching"' in listing and "全部 30 条符合筛选条件的记录" in listing
    resp = reviewer.post("/review/confirm/school_approve",
                         {"scope": "all", "_flt_0_state": "confirmed", "_flt_0_name": "全选甲"})
    assert resp.status_code == 302 and "selection=" in resp.location
    page, resp = confirm(reviewer, "school_approve", resp.location, **SIGNOFF)
    reviewer.carry_no_id(matching)
    assert "已选 30 条记录" in page and "完成 30 条" in text(resp)
    assert set(states(app, matching).values()) == {"school_approved"}
    assert set(states(app, other_name + outside).values()) == {"confirmed"}
    assert set(states(app, other_state).values()) == {"rejected"}


def test_a_row_changed_after_the_confirmation_page_is_skipped_not_overwritten(login, app):
    ids = make_many(app, 3, "并发批量", state="confirmed", phone="13800000001")
    reviewer = Urls(login("zy_school_reviewer"))
    location = select_rows(reviewer, "school_reject", ids)
    page = text(reviewer.get(location))
    with app.app_context():  # someone else corrects the phone meanwhile
        db.session.get(Candidate, ids[1]).phone = "13800000002"
        db.session.commit()
    selection = re.search(r'name="selection" value="(\d+)"', page).group(1)
    result = text(reviewer.post("/review/confirm/school_reject",
                                {"selection": selection, "reason": "照片不清"}))
    assert "完成 2 条，跳过 1 条" in result
    skipped = result[result.index('id="review-skipped"'):]
    assert "并发批量2 在您打开页面后已被他人修改" in skipped
    assert states(app, ids) == {ids[0]: "rejected", ids[1]: "confirmed", ids[2]: "rejected"}
    with app.app_context():
        assert db.session.get(Candidate, ids[1]).phone == "13800000002"


def test_locked_and_wrong_state_rows_are_skipped_with_their_reasons(login, app):
    plain = make_many(app, 2, "锁定批量甲", state="confirmed")
    locked = make_many(app, 1, "锁定批量乙", state="confirmed", locked=True,
                       signed_at=dt.datetime(2026, 11, 21, 10, 0))
    draft = make_many(app, 1, "锁定批量丙", state="draft")
    reviewer = Urls(login("zy_school_reviewer"))
    location = select_rows(reviewer, "school_reject", plain + locked + draft)
    _page, resp = confirm(reviewer, "school_reject", location, reason="信息有误")
    result = text(resp)
    assert "完成 2 条，跳过 2 条" in result
    skipped = result[result.index('id="review-skipped"'):]
    assert "锁定批量乙1 的记录已签字锁定" in skipped
    assert "锁定批量丙1 处于“草稿”状态" in skipped or "锁定批量丙1 处于" in skipped
    assert states(app, locked + draft) == {locked[0]: "confirmed", draft[0]: "draft"}


def test_a_post_without_the_versions_seen_changes_nothing(login, app):
    ids = make_many(app, 2, "无版本批量", state="confirmed")
    reviewer = login("zy_school_reviewer")
    reviewer.refresh_token("/review/list/")
    page = text(reviewer.post("/review/confirm/school_approve",
                              {"ids": ",".join(map(str, ids)), **SIGNOFF}))
    assert "完成 0 条，跳过 2 条" in page and "版本号" in page
    assert set(states(app, ids).values()) == {"confirmed"}


def test_a_selection_is_its_owners_only(login, app):
    ids = make_many(app, 1, "他人选择", state="confirmed")
    location = select_rows(Urls(login("zy_school_reviewer")), "school_approve", ids)
    other = login("zy_school_reviewer")
    assert other.get(location).status_code == 200  # the same user in another session
    assert login("zy_reviewer").get(location).status_code == 404


def test_a_large_selection_runs_as_a_job_with_progress_and_result(login, app, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_BULK_INLINE_MAX", 3)
    ids = make_many(app, 8, "作业批量", state="confirmed")
    with app.app_context():
        db.session.get(Candidate, ids[0]).state = "draft"
        db.session.commit()
    reviewer = Urls(login("zy_school_reviewer"))
    location = select_rows(reviewer, "school_approve", ids)
    _page, resp = confirm(reviewer, "school_approve", location, **SIGNOFF)
    assert resp.status_code == 302 and "/review/selection/" in resp.location
    reviewer.client.run_jobs()
    status = reviewer.get(resp.location + "/status").get_json()
    assert status["status"] == "done" and (status["applied"], status["skipped"]) == (7, 1)
    assert status["done"] == status["total"] == 8 and status["result_url"]
    result = text(reviewer.get(resp.location))
    assert "完成 7 条，跳过 1 条" in result and "作业批量1 处于" in result
    reviewer.carry_no_id(ids)
    assert set(states(app, ids[1:]).values()) == {"school_approved"}
    assert len(audit_rows(app, ids)) == 7


def test_the_progress_page_shows_a_running_job(login, app, monkeypatch):
    from app.job_records import QUEUED
    from app.review.models import ReviewSelection

    ids = make_many(app, 1, "进度批量", state="confirmed")
    reviewer = Urls(login("zy_school_reviewer"))
    location = select_rows(reviewer, "school_approve", ids)
    selection = int(location.rsplit("=", 1)[1])
    with app.app_context():
        db.session.get(ReviewSelection, selection).status = QUEUED
        db.session.commit()
    page = text(reviewer.get(f"/review/selection/{selection}"))
    assert 'id="review-progress"' in page and "progress.js" in page
    assert f"/review/selection/{selection}/status" in page


# --- old selections are purged (flask kaosheng purge-selections) ---------------------------

def _selection_id(location):
    return int(re.search(r"selection=(\d+)", location).group(1))


def _age(app, selection_id, days, column):
    with app.app_context():
        selection = db.session.get(ReviewSelection, selection_id)
        setattr(selection, column, dt.datetime.now() - dt.timedelta(days=days))
        db.session.commit()


def _rows(app, selection_id):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ReviewSelectionRow).where(
            ReviewSelectionRow.selection_id == selection_id)).scalar()


def test_old_selections_and_their_rows_are_purged_recent_ones_kept(app, login):
    reviewer = Urls(login("zy_school_reviewer"))
    done_old_ids = make_many(app, 4, "清理旧批", state="confirmed")
    location = select_rows(reviewer, "school_approve", done_old_ids)
    done_old = _selection_id(location)
    _page, resp = confirm(reviewer, "school_approve", location, **SIGNOFF)
    assert "完成 4 条" in text(resp)
    abandoned = _selection_id(select_rows(reviewer, "school_reject",
                                          make_many(app, 2, "清理未确认", state="confirmed")))
    recent_ids = make_many(app, 3, "清理新批", state="confirmed")
    location = select_rows(reviewer, "school_approve", recent_ids)
    recent = _selection_id(location)
    confirm(reviewer, "school_approve", location, **SIGNOFF)
    assert _rows(app, done_old) == 4 and _rows(app, abandoned) == 2 and _rows(app, recent) == 3
    _age(app, done_old, 10, "finished_on")
    _age(app, abandoned, 10, "created_on")

    result = app.test_cli_runner().invoke(args=["kaosheng", "purge-selections", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "deleted 2 selection(s), 6 row(s)" in result.output
    with app.app_context():
        left = set(db.session.execute(select(ReviewSelection.id).where(
            ReviewSelection.id.in_([done_old, abandoned, recent]))).scalars())
        events = db.session.execute(select(func.count()).select_from(ReviewEvent).where(
            ReviewEvent.candidate_id.in_(done_old_ids))).scalar()
    assert left == {recent}
    assert _rows(app, done_old) == 0 and _rows(app, abandoned) == 0 and _rows(app, recent) == 3
    # The reviews themselves stay: states and each record's timeline.
    assert set(states(app, done_old_ids).values()) == {"school_approved"} and events == 4
    assert reviewer.get(f"/review/selection/{done_old}").status_code == 404
