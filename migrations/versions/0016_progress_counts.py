"""Progress counts kept by triggers (报名进度 at province scale)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 11:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0016"
down_revision = "0015"


branch_labels = None
depends_on = None

# The photo a count follows: the current, compliant portrait (not the ID-document scan).
_HAS_PHOTO = ("EXISTS (SELECT 1 FROM ks_candidate_photo p WHERE p.candidate_id = {row}.id "
              "AND p.kind = 'photo' AND p.current)")
_MOVED = "(OLD.exam_id <> NEW.exam_id OR OLD.node_id <> NEW.node_id)"
_DELTA = "INSERT INTO ks_progress_delta (exam_id, node_id, metric, n) "


def _sqlite_rows(row, sign, photo_when):
    """Statements adding ``sign`` to the counts of the candidate ``row`` (OLD or NEW)."""
    return (
        f"{_DELTA}VALUES ({row}.exam_id, {row}.node_id, 'total', {sign}), "
        f"({row}.exam_id, {row}.node_id, 'state:' || {row}.state, {sign});\n"
        f"{_DELTA}SELECT {row}.exam_id, {row}.node_id, 'locked', {sign} WHERE {row}.locked;\n"
        f"{_DELTA}SELECT {row}.exam_id, {row}.node_id, 'photo', {sign} "
        f"WHERE {photo_when} AND {_HAS_PHOTO.format(row=row)};\n")


SQLITE = [
    "CREATE TRIGGER ks_progress_candidate_insert AFTER INSERT ON ks_candidate BEGIN\n"
    + _sqlite_rows("NEW", 1, "1") + "END",
    # Before the row goes: its photos are still there (the cascade removes them after).
    "CREATE TRIGGER ks_progress_candidate_delete BEFORE DELETE ON ks_candidate BEGIN\n"
    + _sqlite_rows("OLD", -1, "1") + "END",
    "CREATE TRIGGER ks_progress_candidate_update AFTER UPDATE OF exam_id, node_id, state, locked "
    "ON ks_candidate WHEN OLD.exam_id <> NEW.exam_id OR OLD.node_id <> NEW.node_id "
    "OR OLD.state <> NEW.state OR OLD.locked <> NEW.locked BEGIN\n"
    + _sqlite_rows("OLD", -1, _MOVED) + _sqlite_rows("NEW", 1, _MOVED) + "END",
    "CREATE TRIGGER ks_progress_photo_insert AFTER INSERT ON ks_candidate_photo "
    "WHEN NEW.kind = 'photo' AND NEW.current BEGIN\n"
    f"{_DELTA}SELECT c.exam_id, c.node_id, 'photo', 1 FROM ks_candidate c "
    "WHERE c.id = NEW.candidate_id;\nEND",
    "CREATE TRIGGER ks_progress_photo_update AFTER UPDATE OF kind, current ON ks_candidate_photo "
    "WHEN (OLD.kind = 'photo' AND OLD.current) <> (NEW.kind = 'photo' AND NEW.current) BEGIN\n"
    f"{_DELTA}SELECT c.exam_id, c.node_id, 'photo', "
    "CASE WHEN NEW.kind = 'photo' AND NEW.current THEN 1 ELSE -1 END FROM ks_candidate c "
    "WHERE c.id = NEW.candidate_id;\nEND",
    # A photo removed with its candidate finds no candidate row: the candidate's own trigger
    # has already taken it off.
    "CREATE TRIGGER ks_progress_photo_delete AFTER DELETE ON ks_candidate_photo "
    "WHEN OLD.kind = 'photo' AND OLD.current BEGIN\n"
    f"{_DELTA}SELECT c.exam_id, c.node_id, 'photo', -1 FROM ks_candidate c "
    "WHERE c.id = OLD.candidate_id;\nEND",
]


def _pg_rows(row, sign, photo_when):
    return (
        f"{_DELTA}VALUES ({row}.exam_id, {row}.node_id, 'total', {sign}), "
        f"({row}.exam_id, {row}.node_id, 'state:' || {row}.state, {sign});\n"
        f"IF {row}.locked THEN {_DELTA}VALUES ({row}.exam_id, {row}.node_id, 'locked', {sign}); END IF;\n"
        f"IF {photo_when} AND {_HAS_PHOTO.format(row=row)} THEN "
        f"{_DELTA}VALUES ({row}.exam_id, {row}.node_id, 'photo', {sign}); END IF;\n")


POSTGRES = [
    "CREATE FUNCTION ks_progress_candidate() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
    "IF TG_OP = 'INSERT' THEN\n" + _pg_rows("NEW", 1, "true") + "RETURN NULL;\n"
    "ELSIF TG_OP = 'DELETE' THEN\n" + _pg_rows("OLD", -1, "true") + "RETURN OLD;\n"
    "END IF;\n" + _pg_rows("OLD", -1, _MOVED) + _pg_rows("NEW", 1, _MOVED)
    + "RETURN NULL;\nEND $$",
    "CREATE TRIGGER ks_progress_candidate_insert AFTER INSERT ON ks_candidate "
    "FOR EACH ROW EXECUTE FUNCTION ks_progress_candidate()",
    "CREATE TRIGGER ks_progress_candidate_delete BEFORE DELETE ON ks_candidate "
    "FOR EACH ROW EXECUTE FUNCTION ks_progress_candidate()",
    "CREATE TRIGGER ks_progress_candidate_update AFTER UPDATE OF exam_id, node_id, state, locked "
    "ON ks_candidate FOR EACH ROW WHEN (OLD.exam_id <> NEW.exam_id OR OLD.node_id <> NEW.node_id "
    "OR OLD.state <> NEW.state OR OLD.locked <> NEW.locked) "
    "EXECUTE FUNCTION ks_progress_candidate()",
    "CREATE FUNCTION ks_progress_photo() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "DECLARE was boolean := false; now_ boolean := false; cid integer;\nBEGIN\n"
    "IF TG_OP <> 'INSERT' THEN was := OLD.kind = 'photo' AND OLD.current; cid := OLD.candidate_id; END IF;\n"
    "IF TG_OP <> 'DELETE' THEN now_ := NEW.kind = 'photo' AND NEW.current; cid := NEW.candidate_id; END IF;\n"
    "IF was <> now_ THEN\n"
    f"{_DELTA}SELECT c.exam_id, c.node_id, 'photo', CASE WHEN now_ THEN 1 ELSE -1 END "
    "FROM ks_candidate c WHERE c.id = cid;\nEND IF;\nRETURN NULL;\nEND $$",
    "CREATE TRIGGER ks_progress_photo AFTER INSERT OR UPDATE OF kind, current OR DELETE "
    "ON ks_candidate_photo FOR EACH ROW EXECUTE FUNCTION ks_progress_photo()",
]


def upgrade():
    op.create_table(
        "ks_progress",
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("exam_id", "node_id", "metric"),
    )
    op.create_table(
        "ks_progress_delta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    # The records already there.
    photo = ("SELECT c.exam_id, c.node_id, 'photo', count(*) FROM ks_candidate c "
             "JOIN ks_candidate_photo p ON p.candidate_id = c.id "
             "WHERE p.kind = 'photo' AND p.current GROUP BY c.exam_id, c.node_id")
    op.execute(
        "INSERT INTO ks_progress (exam_id, node_id, metric, n) "
        "SELECT exam_id, node_id, metric, sum(n) FROM ("
        "SELECT exam_id, node_id, 'total' AS metric, count(*) AS n FROM ks_candidate GROUP BY exam_id, node_id "
        "UNION ALL SELECT exam_id, node_id, 'state:' || state, count(*) FROM ks_candidate GROUP BY exam_id, node_id, state "
        "UNION ALL SELECT exam_id, node_id, 'locked', count(*) FROM ks_candidate WHERE locked GROUP BY exam_id, node_id "
        f"UNION ALL {photo}) AS counts GROUP BY exam_id, node_id, metric")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ks_progress_photo ON ks_candidate_photo")
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER ks_progress_candidate_{name} ON ks_candidate")
        op.execute("DROP FUNCTION ks_progress_photo()")
        op.execute("DROP FUNCTION ks_progress_candidate()")
    else:
        for name in ("candidate_insert", "candidate_delete", "candidate_update", "photo_insert",
                     "photo_update", "photo_delete"):
            op.execute(f"DROP TRIGGER ks_progress_{name}")
    op.drop_table("ks_progress_delta")
    op.drop_table("ks_progress")
