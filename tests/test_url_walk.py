"""Every URL rule of the app, walked as users of one county with the objects of its sibling
(中原区 410102 and 二七区 410103, both directions) and anonymously.

Another county's objects answer 404 / 403 / the login page: never 200 with the object and
never 500; list and search pages never show the sibling's names. Anonymous requests land on
the login page (the candidates' login for /me/). Refused POSTs change nothing.

URL arguments are filled generically: ``pk`` of a model view or API by the view's model
(MODEL_KINDS), other arguments by name (ARG_KINDS), a few rules by ENDPOINT_ARGS and
QUERIES. Rules that need nothing or are public are listed in PUBLIC. A rule the tables cannot
fill makes test_every_rule_can_be_filled fail, so every new route joins the walk.

The module builds its own database (the objects it adds must not disturb other modules'
counts).
"""
import datetime as dt
import importlib.util
import os
import re
import types
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.audit import AuditLog
from app.extensions import db

# --- how to fill a rule --------------------------------------------------------------------

#: model class name → object kind (``pk`` of ModelView / ModelRestApi routes).
MODEL_KINDS = {
    "Node": "node", "KsUser": "user", "Candidate": "candidate", "Guardian": "guardian",
    "StudyHistory": "study", "Qualification": "qualification", "PhaseExtension": "extension",
    "AuditLog": "audit", "Exam": "exam", "Phase": "phase", "Role": "role",
    "QualityEvaluation": "evaluation", "AdmissionTicket": "ticket", "Incident": "incident",
    "PointProposal": "proposal", "DataSubmission": "submission", "ExamSite": "exam_site",
    "PhysicalExam": "physical", "IntegrityRecord": "integrity",
}
#: argument name → object kind, or a fixed value.
ARG_KINDS = {"candidate_id": "candidate", "node_id": "node", "exam_id": "exam",
             "fmt": "=csv", "locale": "=zh", "seq": "=1"}
#: {view: (its table, the action of the walk's finished selection)}
SELECTION_ACTIONS = {"ReviewView": ("ks_candidate", "school_approve"),
                     "QualificationView": ("ks_qualification", "q_school_approve"),
                     "PointProposalView": ("ks_point_proposal", "city_approve"),
                     "DataSubmissionView": ("ks_data_submission", "city_accept")}
#: (endpoint, argument) → object kind or fixed value, where the name alone is ambiguous.
ENDPOINT_ARGS = {
    ("PhotoView.capture", "pk"): "candidate",
    ("PhotoView.upload", "pk"): "candidate",
    ("PhotoView.file", "kind"): "=photo",
    ("PhotoImportView.report", "pk"): "photo_import",
    ("PhotoImportView.status", "pk"): "photo_import",
    ("PrintView.single", "kind"): "=registration",
    ("PrintView.batch_progress", "batch_id"): "print_batch",
    ("PrintView.batch_status", "batch_id"): "print_batch",
    ("PrintView.batch_download", "batch_id"): "print_batch",
    ("RegistryImportView.mapping", "batch_id"): "import",
    ("RegistryImportView.progress", "batch_id"): "import",
    ("RegistryImportView.status", "batch_id"): "import",
    ("RegistryImportView.errors", "batch_id"): "import",
    ("RegistryImportView.resume", "batch_id"): "import",
    ("ReviewView.confirm", "name"): "=school_approve",
    ("IncidentView.snapshot_file", "snapshot_id"): "snapshot",
    ("TicketNumberingView.job", "run_id"): "numbering_run",
    **{("CandidateExportView." + e, "pk"): "candidate_export"
       for e in ("progress", "status", "download")},
    ("TicketNumberingView.job_status", "run_id"): "numbering_run",
    **{("ExchangeView." + e, "pk"): "exchange_export"
       for e in ("export_page", "export_status", "download")},
    **{("ExchangeView." + e, "pk"): "exchange_import"
       for e in ("import_page", "import_status", "import_errors")},
    ("QualificationView.confirm", "name"): "=q_school_approve",
    # A bulk review's progress and result, by the view whose rows it holds.
    **{(f"{view}.{e}", "pk"): f"selection_{view}"
       for view in SELECTION_ACTIONS for e in ("selection", "selection_status")},
    ("PointProposalView.confirm", "name"): "=city_approve",
    ("DataSubmissionView.confirm", "name"): "=city_accept",
    ("selfservice.form_pdf", "kind"): "=registration",
    ("selfservice.guardian_edit", "pk"): "guardian",
    ("selfservice.guardian_delete", "pk"): "guardian",
    ("selfservice.study_edit", "pk"): "study",
    ("selfservice.study_delete", "pk"): "study",
    ("static", "filename"): "=kaosheng.css",
    ("appbuilder.static", "filename"): "=css/ab.css",
}
#: query strings carrying object ids (the view must scope them too).
QUERIES = {
    "PrintView.batch_classes": "node={node}&exam={exam}",
    "PrintView.publicity_pick": "node={node}&exam={exam}",
    "PrintView.publicity": "exam={exam}",
    "PrintView.batch_form": "ids={candidate}",
    "ReviewView.confirm": "ids={candidate}",
    "QualificationView.confirm": "ids={qualification}",
    "PointProposalView.confirm": "ids={proposal}",
    "DataSubmissionView.confirm": "ids={submission}",
    "DataSubmissionView.submit": "exam={exam}",
    "CandidateView.list": "_flt_0_node={node}",
    "AuditLogView.list": "_flt_0_row_id={audit}",
}
#: province-wide objects: any staff user may see them, so only "never 500" applies.
SHARED_KINDS = {"exam", "phase", "role"}
#: open to anonymous visitors by design (they must still show nothing of a county).
PUBLIC = {"AuthDBView.login", "LocaleView.index", "UtilView.back", "static", "appbuilder.static",
          "selfservice.login", "selfservice.activate", "selfservice.recover",
          # probes; /readyz and /metrics answer the local address the test client uses
          "monitoring.healthz", "monitoring.readyz", "monitoring.metrics"}
#: rules answering a logged-in staff user with a redirect by design (the candidates' pages).
SELF_SERVICE = "selfservice."


def _load_parts():
    """The walk's tables contributed by feature packages: every ``tests/walk_parts/*.py``
    may define MODEL_KINDS, ARG_KINDS, ENDPOINT_ARGS, QUERIES (dicts), PUBLIC (a set) and
    ``objects(ctx)`` returning ``{kind: unsaved object}`` for one side (``ctx`` holds side,
    county, school, user, cand, exam, phase, mark, upload); each object's id joins the side's
    objects under its kind and ``ctx.mark`` joins the markers when the object shows it."""
    parts = []
    for path in sorted((Path(__file__).parent / "walk_parts").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"walk_parts_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        parts.append(module)
    return parts


WALK_PARTS = _load_parts()
for _part in WALK_PARTS:
    MODEL_KINDS.update(getattr(_part, "MODEL_KINDS", {}))
    ARG_KINDS.update(getattr(_part, "ARG_KINDS", {}))
    ENDPOINT_ARGS.update(getattr(_part, "ENDPOINT_ARGS", {}))
    QUERIES.update(getattr(_part, "QUERIES", {}))
    PUBLIC |= set(getattr(_part, "PUBLIC", ()))

USERS = {"zy": ("zy_admin", "zy_school", "zy_reviewer"), "eq": ("eq_admin", "eq_school")}
OTHER = {"zy": "eq", "eq": "zy"}
SIDES = {"zy": ("410102", "41010201", "zy_school"), "eq": ("410103", "41010301", "eq_school")}
#: names that exist only on one side; the other side must never see them.
MARK = {"zy": "乙越界样本", "eq": "甲越界样本"}
COUNTY_MARKERS = {"zy": ["中原区", "郑州市第五十七中学", "zy_school", "zy_admin"],
                  "eq": ["二七区", "郑州市第五十六中学", "eq_school", "eq_admin"]}


# --- fixtures: own database, objects of both counties --------------------------------------

@pytest.fixture(scope="module")
def app(module_app):
    def objects(app):
        app.walk_objects = {side: _side_objects(side) for side in SIDES}

    with module_app("walk", objects) as app:
        yield app


def _selections(user, county):
    """A finished bulk review of each list with transitions (its result page)."""
    from app.review.models import ReviewSelection

    return {f"selection_{view}": ReviewSelection(subject=table, action=action, user_id=user.id,
                                                 node_path=county.path, status="done")
            for view, (table, action) in SELECTION_ACTIONS.items()}


def _side_objects(side):
    """One object of every kind in the county ``side``, named with the side's marker."""
    from app.adult.models import ExamSite, NumberingRun
    from app.candidates.models import Candidate, CandidateExport, ImportBatch, QualityEvaluation
    from app.printing.models import AdmissionTicket, PrintBatch
    from app.gaokao.models import IntegrityRecord, PhysicalExam
    from app.jurisdiction import Node
    from app.phases.models import Phase, PhaseExtension
    from app.photos.models import PhotoImport
    from app.playbooks.models import Incident, IncidentSnapshot
    from app.points.models import DataSubmission, PointProposal
    from app.review.models import Qualification
    from app.security import KsUser

    county_code, school_code, username = SIDES[side]
    one = lambda stmt: db.session.execute(stmt).scalars().first()  # noqa: E731
    county = one(select(Node).where(Node.code == county_code))
    school = one(select(Node).where(Node.code == school_code))
    user = one(select(KsUser).where(KsUser.username == username))
    cand = one(select(Candidate).where(Candidate.node_id == school.id).order_by(Candidate.id))
    mark = MARK[side]
    upload = os.path.join(current_app.config["UPLOAD_DIR"], f"walk-{side}.csv")
    os.makedirs(os.path.dirname(upload), exist_ok=True)
    with open(upload, "w", encoding="utf-8") as fh:
        fh.write(f"姓名,身份证号\n{mark},{cand.id_number}\n")
    cand.name = mark
    cand.guardians[0].name = mark + "监护"
    cand.studies[0].school = mark + "学校"
    exam, phase = cand.exam, one(select(Phase).order_by(Phase.id))
    qual = Qualification(candidate=cand, kind="allocation", note=mark)
    made = dict(
        imp=ImportBatch(exam_id=exam.id, user_id=user.id, node_path=school.path,
                        filename=mark + ".csv", stored_path=upload,
                        status="done"),
        photo_import=PhotoImport(exam_id=exam.id, kind="photo", user_id=user.id,
                                 node_path=school.path, filename=mark + ".zip",
                                 stored_path=upload, status="done",
                                 report={"matched": [], "unmatched": [mark], "rejected": []}),
        print_batch=PrintBatch(user_id=user.id, node_path=school.path, kind="registration",
                               exam_id=exam.id, status="done", message=mark,
                               selection={"node_id": school.id}),
        extension=PhaseExtension(phase_id=phase.id, node_id=county.id, reason=mark,
                                 new_end=dt.datetime(2030, 1, 1)),
        evaluation=QualityEvaluation(candidate=cand, morality="A", remark=mark),
        ticket=AdmissionTicket(candidate=cand, ticket_number=f"{county_code}0001", site=mark),
        proposal=PointProposal(node=county, exam=exam, name=mark + "报名确认点",
                               code=f"BMW{county_code}", address=mark, contact=mark,
                               phone="0371-67001234"),
        submission=DataSubmission(node=county, exam=exam, state="submitted",
                                  submitted_at=dt.datetime.now(), snapshot={
                                      "totals": {"total": 1},
                                      "units": [{"code": school_code, "name": mark, "total": 1}]}),
        exam_site=ExamSite(exam_id=exam.id, node=county, code="09", name=mark + "考点",
                           address=mark, rooms=1),
        # Stored directly on the walk's (中招) candidate: the screens would refuse it, the walk
        # only fetches the rows by id.
        physical=PhysicalExam(candidate=cand, hospital=mark, exam_date=dt.date(2026, 4, 1),
                              vision_naked_right=5.0, vision_naked_left=5.0, colour_vision="1",
                              bp_systolic=120, bp_diastolic=80, height=170.0, weight=60.0,
                              hearing_right=5.0, hearing_left=5.0, smell="1", conclusion="1",
                              doctor=mark),
        integrity=IntegrityRecord(candidate=cand, occurred_on=dt.date(2026, 6, 7), kind="01",
                                  description=mark, decision=mark),
        incident=Incident(anomaly="network", exam=exam, node=county, summary=mark,
                          opened_by_id=user.id, paper_since=dt.datetime(2026, 3, 1)),
        candidate_export=CandidateExport(fmt="csv", args={}, user_id=user.id,
                                         node_path=county.path, status="failed", message=mark),
        numbering_run=NumberingRun(exam_id=exam.id, renumber=False, user_id=user.id,
                                   node_path=county.path, status="done",
                                   result={"problems": [mark]}),
    )
    made["snapshot"] = IncidentSnapshot(incident=made["incident"], status="done", rows=1,
                                        result_path=upload)
    made.update(_exchange_objects(side, exam, user, county, upload))
    made.update(_selections(user, county))
    ctx = types.SimpleNamespace(side=side, county=county, school=school, user=user, cand=cand,
                                exam=exam, phase=phase, mark=mark, upload=upload)
    parts = {}
    for part in WALK_PARTS:
        if hasattr(part, "objects"):
            parts.update(part.objects(ctx))
    made.update(parts)
    db.session.add_all([qual, *made.values()])
    db.session.flush()
    audit = AuditLog(at=dt.datetime.now(), username=mark, action="update", table_name="ks_node",
                     row_id=school.id, node_path=school.path, changes={"name": [mark, mark]})
    db.session.add(audit)
    db.session.flush()
    return {
        "node": school.id, "county": county.id, "user": user.id, "candidate": cand.id,
        "guardian": cand.guardians[0].id, "study": cand.studies[0].id,
        "qualification": qual.id, "import": made["imp"].id,
        "photo_import": made["photo_import"].id, "print_batch": made["print_batch"].id,
        "extension": made["extension"].id, "audit": audit.id,
        "evaluation": made["evaluation"].id, "ticket": made["ticket"].id,
        "proposal": made["proposal"].id, "submission": made["submission"].id,
        "exam_site": made["exam_site"].id, "physical": made["physical"].id,
        "integrity": made["integrity"].id,
        "incident": made["incident"].id, "snapshot": made["snapshot"].id,
        "numbering_run": made["numbering_run"].id,
        "candidate_export": made["candidate_export"].id,
        "exchange_export": made["exchange_export"].id,
        "exchange_import": made["exchange_import"].id,
        **{key: made[key].id for key in made if key.startswith("selection_")},
        **{key: obj.id for key, obj in parts.items()},
        "exam": exam.id, "phase": phase.id, "role": 1,
        "markers": [mark, cand.id_number, *COUNTY_MARKERS[side]],
    }


def _exchange_objects(side, exam, user, county, upload):
    """A finished national-exchange export (with its ZIP) and an exchange import."""
    from app.candidates.models import ImportBatch
    from app.exchange.models import ExchangeExport
    from app.exchange.tasks import UPLOAD_SUFFIX, exchange_dir

    mark = MARK[side]
    zip_path = os.path.join(exchange_dir(), f"walk-{side}.zip")
    with open(zip_path, "wb") as fh:
        fh.write(b"PK\x05\x06" + b"\0" * 18)
    return dict(
        exchange_export=ExchangeExport(exam_id=exam.id, user_id=user.id, node_path=county.path,
                                       accepted="final", status="done", result_path=zip_path,
                                       rows=1, photos=0, skipped=[["-", mark, mark]]),
        exchange_import=ImportBatch(exam_id=exam.id, user_id=user.id, node_path=county.path,
                                    filename=mark + ".zip", stored_path=upload + UPLOAD_SUFFIX,
                                    status="done"),
    )


# --- filling --------------------------------------------------------------------------------

def _views(app):
    return {v.blueprint.name: v for v in app.appbuilder.baseviews
            if getattr(v, "blueprint", None) is not None}


def _arg_kind(app, rule, arg):
    """The object kind (or "=value") for one argument of ``rule``; None when unknown."""
    if (rule.endpoint, arg) in ENDPOINT_ARGS:
        return ENDPOINT_ARGS[(rule.endpoint, arg)]
    if arg == "pk" or arg == "name":
        view = _views(app).get(rule.endpoint.split(".")[0])
        datamodel = getattr(view, "datamodel", None)
        if datamodel is None:
            return None
        if arg == "name":
            return "=" + next(iter(getattr(view, "actions", {}) or {"none": None}))
        return MODEL_KINDS.get(datamodel.obj.__name__)
    return ARG_KINDS.get(arg)


def fill(app, rule, objects):
    """(url, kinds of the objects in the path) for ``rule`` with ``objects`` of one side."""
    values, kinds = {}, set()
    for arg in rule.arguments:
        kind = _arg_kind(app, rule, arg)
        if kind is None:
            raise LookupError(f"{rule.rule} ({rule.endpoint}): nothing fills <{arg}>")
        if kind.startswith("="):
            values[arg] = kind[1:]
        else:
            values[arg] = objects[kind]
            kinds.add(kind)
    url = rule.rule
    for arg, value in values.items():
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, str(value), url)
    if rule.endpoint in QUERIES:
        url += "?" + QUERIES[rule.endpoint].format(**objects)
    return url, kinds


def rules(app, method):
    return sorted((r for r in app.url_map.iter_rules() if method in r.methods),
                  key=lambda r: r.rule)


def _is_login(location):
    return location is not None and re.search(r"/(me/)?login/?(\?|$)", location) is not None


# --- checks ---------------------------------------------------------------------------------

#: the candidate form's division picker: the names of the province's cities and counties
#: (public GB/T 2260 geography: a pupil's 户籍 may lie in any county), not the county's data.
_DIVISION_PICKER = re.compile(r'data-division-picker="[^"]*"')
#: the public 成人高考 sign-up (/me/signup): its choice of the county where a record starts and
#: its 户籍 suggestions name every county of the province (public geography, as above).
_SIGNUP_PLACES = re.compile(r'<select name="county_id".*?</select>'
                            r'|<datalist id="hukou-divisions">.*?</datalist>', re.S)


def _body(resp):
    text_like = resp.mimetype.startswith(("text/", "application/json"))
    if not text_like:
        return ""
    return _SIGNUP_PLACES.sub("", _DIVISION_PICKER.sub("", resp.get_data(as_text=True)))


def check_foreign(client, url, foreign_kinds, markers):
    """Problems of one request for another county's objects (empty when refused properly)."""
    resp = client.get(url)
    status = resp.status_code
    if status in (301, 302, 303) and not _is_login(resp.location):
        # Refused with a redirect (FAB refuses GET mutations so): the next page must not
        # show the object either.
        resp = client.get(resp.location)
        if resp.status_code >= 500:
            return [f"{url} → {resp.request.path}: {resp.status_code}"]
        leaked = [m for m in markers if m in _body(resp)]
        return [f"{url} → {resp.request.path}: shows {leaked}"] if leaked else []
    if status >= 500:
        return [f"{url}: {status}"]
    if status == 200 and foreign_kinds - SHARED_KINDS:
        return [f"{url}: 200 for another county's {sorted(foreign_kinds - SHARED_KINDS)}"]
    if status == 200:
        leaked = [m for m in markers if m in _body(resp)]
        return [f"{url}: shows {leaked}"] if leaked else []
    return [] if status in (301, 302, 303, 400, 401, 403, 404, 405, 422) else [f"{url}: {status}"]


def walk(app, client, side_of_objects):
    objects = app.walk_objects[side_of_objects]
    before = _snapshot(app, side_of_objects)
    problems = []
    for rule in rules(app, "GET"):
        url, kinds = fill(app, rule, objects)
        problems += check_foreign(client, url, kinds, objects["markers"])
    after = _snapshot(app, side_of_objects)
    # Exports and prints write audit rows of their own; the objects must be as they were.
    if {k: v for k, v in after.items() if k != "audit"} != {k: v for k, v in before.items()
                                                            if k != "audit"}:
        problems.append(f"GET requests changed the other county's objects: {before} → {after}")
    return problems


# --- tests ----------------------------------------------------------------------------------

def test_every_rule_can_be_filled(app):
    unknown = []
    for rule in app.url_map.iter_rules():
        try:
            fill(app, rule, app.walk_objects["eq"])
        except LookupError as exc:
            unknown.append(str(exc))
    assert not unknown, "add these rules to the tables of test_url_walk.py:\n" + "\n".join(unknown)


def test_no_fab_file_download_or_jwt_routes(app):
    found = [r.rule for r in app.url_map.iter_rules()
             if "/download/<" in r.rule or r.rule.startswith("/api/v1/security/")]
    assert not found


@pytest.mark.parametrize("side,username", [(s, u) for s, users in USERS.items() for u in users])
def test_sibling_county_objects_are_never_served(app, login, side, username):
    problems = walk(app, login(username), OTHER[side])
    assert not problems, "\n".join(problems)


def test_anonymous_gets_the_login_page_everywhere(app, client):
    objects = app.walk_objects["eq"]
    problems = []
    for rule in rules(app, "GET"):
        url, _ = fill(app, rule, objects)
        resp = client.get(url, follow_redirects=True)
        landed = resp.request.path
        if resp.status_code >= 500 or any(m in _body(resp) for m in objects["markers"]):
            problems.append(f"{url}: {resp.status_code} at {landed}")
        elif rule.endpoint in PUBLIC:
            continue
        elif url.startswith("/api/"):
            if resp.status_code != 401:
                problems.append(f"{url}: {resp.status_code}, expected 401")
        elif landed != ("/me/login" if url.startswith("/me/") else "/login/"):
            problems.append(f"{url}: {resp.status_code} at {landed}, not the login page")
    assert not problems, "\n".join(problems)


def test_own_objects_are_served(app, login):
    """The positive control: filled with its own county's objects, a rule does not answer
    404 for that county's admin (so a 404 above means refusal, not a badly filled URL)."""
    client = login("zy_admin")
    objects = app.walk_objects["zy"]
    # Rules that rightly answer 404 for these objects (no picture and no finished file exist).
    expected_404 = {"PhotoView.file", "PrintView.batch_download", "RegistryImportView.errors",
                    "IncidentView.snapshot_file", "CandidateExportView.download"}
    problems = []
    for rule in rules(app, "GET"):
        url, kinds = fill(app, rule, objects)
        no_action = "name" in rule.arguments and _arg_kind(app, rule, "name") == "=none"
        if not kinds - SHARED_KINDS or rule.endpoint.startswith(SELF_SERVICE) or no_action:
            continue
        status = client.get(url).status_code
        if status >= 500 or status == 404 and rule.endpoint not in expected_404:
            problems.append(f"{url}: {status}")
    assert not problems, "\n".join(problems)


def _snapshot(app, side):
    from app.candidates.models import Candidate
    from app.jurisdiction import Node
    from app.points.models import DataSubmission, PointProposal
    from app.review.models import Qualification

    objects = app.walk_objects[side]
    with app.app_context():
        cand = db.session.get(Candidate, objects["candidate"])
        node = db.session.get(Node, objects["node"])
        qual = db.session.get(Qualification, objects["qualification"])
        proposal = db.session.get(PointProposal, objects["proposal"])
        submission = db.session.get(DataSubmission, objects["submission"])
        return dict(audit=db.session.execute(select(func.max(AuditLog.id))).scalar(),
                    cand=(cand.name, cand.state, cand.version, cand.locked, cand.phone,
                          len(cand.guardians), len(cand.studies)),
                    node=(node.name, node.active, node.contact),
                    qual=(qual.state, qual.version),
                    proposal=(proposal.name, proposal.state, proposal.version),
                    submission=(submission.state, submission.version))


@pytest.mark.parametrize("side,username", [("zy", "zy_admin"), ("eq", "eq_admin"),
                                           ("zy", "zy_school")])
def test_forged_posts_on_sibling_objects_change_nothing(app, login, side, username):
    client = login(username)
    client.refresh_token("/nodeview/list/" if username.endswith("admin") else "/")
    foreign = app.walk_objects[OTHER[side]]
    before = _snapshot(app, OTHER[side])
    problems = []
    for rule in rules(app, "POST"):
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(SELF_SERVICE):
            continue
        url, kinds = fill(app, rule, foreign)
        selects_rows = rule.endpoint.endswith((".action_post", ".confirm"))
        if not kinds - SHARED_KINDS and not selects_rows:
            continue
        action = (_arg_kind(app, rule, "name") or "=").removeprefix("=")
        # The view's own model decides what the selected rows are; ids of another kind could
        # hit a row of one's own county.
        model_kind = _arg_kind(app, rule, "pk")
        row = foreign.get(model_kind, "") if model_kind not in SHARED_KINDS else ""
        # Every field a form might read, all pointing at the other county.
        data = {"rowid": row, "ids": str(row), "action": action, "name": "越权修改",
                "contact": "越权", "phone": "13800000000", "reason": "越权", "kind": "photo",
                "exam": foreign["exam"], f"v_{row}": "1"}
        resp = client.post(url, data)
        if resp.status_code >= 500:
            problems.append(f"POST {url}: {resp.status_code}")
        elif resp.status_code == 200:
            body = resp.get_data(as_text=True)
            leaked = [m for m in foreign["markers"] if m in body]
            if leaked:
                problems.append(f"POST {url}: shows {leaked}")
    assert not problems, "\n".join(problems)
    assert _snapshot(app, OTHER[side]) == before


@pytest.mark.parametrize("side", ["zy", "eq"])
@pytest.mark.parametrize("endpoint,kind,action", [
    ("/review/api/transition", "candidate", "school_approve"),
    ("/review/api/transition", "candidate", "county_reject"),
    ("/qualifications/api/transition", "qualification", "q_school_approve"),
])
def test_json_transitions_on_sibling_objects_are_404(app, login, side, endpoint, kind, action):
    client = login(SIDES[side][2])  # school staff: holds both transition APIs
    client.refresh_token("/review/list/")
    foreign = app.walk_objects[OTHER[side]]
    before = _snapshot(app, OTHER[side])
    resp = client.http.post(endpoint, json={"id": foreign[kind], "action": action, "version": 1,
                                            "reason": "越权", "principal_name": "越权",
                                            "signed_on": "2026-03-01"},
                            headers={"X-CSRFToken": client.token})
    assert resp.status_code == 404
    assert not any(m in resp.get_data(as_text=True) for m in foreign["markers"])
    assert _snapshot(app, OTHER[side]) == before
    # The same call on an own object is answered (here refused by the workflow or the phase,
    # never 404), so the 404 above is the scope speaking.
    own = app.walk_objects[side]
    resp = client.http.post(endpoint, json={"id": own[kind], "action": action, "version": 1},
                            headers={"X-CSRFToken": client.token})
    assert resp.status_code != 404 and resp.status_code < 500


@pytest.mark.parametrize("side", ["zy", "eq"])
def test_lists_and_api_show_only_own_county(app, login, side):
    client = login(USERS[side][0])
    own, foreign = app.walk_objects[side], app.walk_objects[OTHER[side]]
    for url in ("/candidateview/list/?psize_CandidateView=100", "/guardianview/list/",
                "/studyhistoryview/list/", "/qualifications/list/", "/review/list/",
                "/users/list/", "/nodeview/list/", "/auditlogview/list/?psize_AuditLogView=100",
                "/phaseextensionview/list/", "/registry-import/", "/photos/import/",
                "/point-proposals/list/", "/data-reports/list/", "/physical/list/",
                "/integrity/list/", "/adult/sites/list/",
                "/incidents/list/",
                "/api/v1/node/?q=(page_size:100)"):
        body = client.get(url).get_data(as_text=True)
        assert not any(m in body for m in foreign["markers"]), url
    page = client.get("/candidateview/list/?_flt_0_name=" + MARK[side]).get_data(as_text=True)
    assert MARK[side] in page and own["markers"][1][-4:] in page
