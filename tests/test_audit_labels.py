"""Every field the audit trail records reads in Chinese (issue 15: the browser journey found
"Printed Version、Locked" on an unlock entry): no label made up by FAB, no raw column name, and a
candidate's own writes are named as the candidate's."""
import datetime as dt
import re

from flask_appbuilder import Model
from flask_babel import force_locale

from app.audit import AuditLog
from app.audit_display import field_label, table_label, user_text
from app.extensions import db
from factories import make_candidate
from helpers import text

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
UNIT = re.compile(r"（[^）]*）")  # a unit of measure in brackets (mmHg, cm, ALT) is no word to translate


def _audited_columns():
    for mapper in Model.registry.mappers:
        model = mapper.class_
        if not getattr(model, "__audited__", False):
            continue
        excluded = set(getattr(model, "__audit_exclude__", ()))
        yield model.__tablename__, [c.key for c in mapper.columns
                                    if c.key not in excluded and c.key != "id"]


def test_every_audited_field_has_a_chinese_label(app):
    untranslated = []
    with app.test_request_context(), force_locale("zh"):
        for table, keys in _audited_columns():
            if LATIN_WORD.search(str(table_label(table))):
                untranslated.append(f"{table}: {table_label(table)}")
            for key in keys:
                label = UNIT.sub("", str(field_label(table, key)))
                if LATIN_WORD.search(label):
                    untranslated.append(f"{table}.{key}: {label}")
    assert not untranslated, "\n".join(untranslated)


def test_an_unlock_entry_and_a_candidates_own_write_read_in_chinese(app, province_admin):
    cid = make_candidate(app, name="审计标签考生")
    with app.app_context():
        for username, changes in (
                ("zy_admin", {"printed_version": [7, 8], "locked": [True, False]}),
                (f"candidate:{cid}", {"phone": ["13800000000", "13900000000"]})):
            db.session.add(AuditLog(at=dt.datetime.now(), username=username, action="update",
                                    table_name="ks_candidate", row_id=cid, candidate_id=cid,
                                    node_path="/410000/410100/410102/41010201/",
                                    changes=changes))
        db.session.commit()
    page = text(province_admin.get(f"/auditlogview/list/?_flt_1_candidate_id={cid}"))
    assert "打印时的版本" in page and "已锁定" in page, page
    assert "Printed Version" not in page and "Locked" not in page
    assert "考生本人：审计标签考生" in page and f"candidate:{cid}" not in page
    with app.test_request_context(), force_locale("zh"):
        assert str(user_text("candidate:notanid")) == "考生本人：notanid"
