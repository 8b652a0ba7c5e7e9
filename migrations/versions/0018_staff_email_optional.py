"""Staff users without an e-mail address: ab_user.email nullable (still unique)

Staff at schools often have no address. A missing address is stored as NULL, never as "": the
unique constraint allows many NULLs on SQLite and PostgreSQL, but only one "".

On SQLite the column change rebuilds ab_user (copy, DROP, rename). With the app's
``PRAGMA foreign_keys=ON`` that DROP deletes through every ON DELETE CASCADE reference (all
role grants, sessions, API keys) and fails on the others (a point proposal's proposer), so the
rebuild runs with foreign keys off. The pragma is a no-op inside a transaction, hence the
autocommit blocks around it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:30:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

EMAIL = sa.String(length=320)


def upgrade():
    with _rebuilding_ab_user() as batch:
        batch.alter_column("email", existing_type=EMAIL, nullable=True)
    op.execute("UPDATE ab_user SET email = NULL WHERE email = ''")


def downgrade():
    # A placeholder no mail server accepts (RFC 6761 reserves .invalid), unique as the name is.
    op.execute("UPDATE ab_user SET email = username || '@invalid' "
               "WHERE email IS NULL OR email = ''")
    with _rebuilding_ab_user() as batch:
        batch.alter_column("email", existing_type=EMAIL, nullable=False)


@contextmanager
def _rebuilding_ab_user():
    """A batch operation on ab_user; on SQLite with foreign keys off while the table is rebuilt,
    and checked after (the copy keeps every id, so no reference may dangle)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _foreign_keys("OFF")
    try:
        with op.batch_alter_table("ab_user") as batch:
            yield batch
        if sqlite:
            broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).all()
            if broken:
                raise RuntimeError(f"ab_user rebuild left broken references: {broken[:5]}")
    finally:
        if sqlite:
            _foreign_keys("ON")


def _foreign_keys(state):
    context = op.get_context()
    with context.autocommit_block():
        op.execute(f"PRAGMA foreign_keys={state}")
        actual = context.connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    if actual != (state == "ON"):
        raise RuntimeError(f"PRAGMA foreign_keys={state} did not take effect")
