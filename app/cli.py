"""flask kaosheng …: init (permissions + roles), seed-demo, create-admin, unlock-user,
purge-prints."""
from types import SimpleNamespace

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from .audit import log_event
from .backup import add_commands as add_backup_commands  # backup, restore
from .candidates.export_tasks import purge_exports
from .demo import DEMO_USERS, ensure_node, ensure_user, seed_demo
from .extensions import db
from .jurisdiction import PROVINCE
from .passwords import password_problems
from .photos.cli import add_commands as add_photo_commands  # photo-recheck
from .printing.tasks import purge_prints
from .review.tasks import purge_selections
from .security import PROVINCE_ADMIN, staff_personal_values

kaosheng = AppGroup("kaosheng", help="kaosheng administration commands.")


@kaosheng.command("init")
def init_command():
    """Sync permissions and the role definitions of app/security.py into the database."""
    current_app.appbuilder.sm.sync_roles()
    click.echo("roles and permissions synced")


@kaosheng.command("seed-demo")
@click.option("--force-demo", is_flag=True,
              help="load the demo data even outside KAOSHENG_ENV=development")
def seed_demo_command(force_demo):
    """Load the demo province, units, exams and one user per role (idempotent)."""
    env = current_app.config.get("ENV")
    if env != "development" and not force_demo:
        # The demo users include a province administrator whose password is published.
        raise click.ClickException(
            f"refusing to load demo data with KAOSHENG_ENV={env!r}: it creates users (a "
            "province administrator among them) with the password published in README.md. "
            "Use --force-demo only on a throw-away database.")
    current_app.appbuilder.sm.sync_roles()
    summary = seed_demo()
    db.session.commit()
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo(f"database: {url.render_as_string(hide_password=True)}")
    click.echo(f"demo users: {', '.join(u[0] for u in DEMO_USERS)}")
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@kaosheng.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--province-code", default="410000", show_default=True)
@click.option("--province-name", default="河南省", show_default=True)
def create_admin_command(username, password, province_code, province_name):
    """Create the province root node (if missing) and its first province administrator."""
    problems = password_problems(password, staff_personal_values(
        username, "管理员", "省级", "", SimpleNamespace(name=province_name, parent=None)))
    if problems:
        raise click.UsageError(" ".join(str(p) for p in problems))
    current_app.appbuilder.sm.sync_roles()
    root = ensure_node(None, province_code, province_name, PROVINCE)
    ensure_user(username, password, root, PROVINCE_ADMIN, "省级", "管理员")
    db.session.commit()
    click.echo(f"province admin {username} ready")


@kaosheng.command("unlock-user")
@click.argument("username")
def unlock_user_command(username):
    """Lift a staff account's failed-log-in lock (for a province administrator, who has no
    administrator above it); audited."""
    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    user.locked_until, user.fail_login_count = None, 0
    db.session.commit()
    log_event("unlock", "ab_user", {"username": username, "by": "flask kaosheng"},
              row_id=user.id)
    click.echo(f"{username} unlocked")


@kaosheng.command("purge-prints")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="keep the PDFs of batches finished within this many days")
def purge_prints_command(days):
    """Delete old batch-print PDFs under UPLOAD_DIR/prints (the batches stay listed)."""
    files, freed = purge_prints(days)
    click.echo(f"deleted {files} file(s), {freed / 2**20:.1f} MiB")


@kaosheng.command("purge-exports")
def purge_exports_command():
    """Delete the files of candidate exports older than EXPORT_KEEP_HOURS (records stay)."""
    click.echo(f"deleted {purge_exports()} file(s)")


@kaosheng.command("purge-selections")
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True,
              help="keep the bulk-review selections finished within this many days")
def purge_selections_command(days):
    """Delete old bulk-review selections and their rows (the reviews stay in the timelines)."""
    selections, rows = purge_selections(days)
    click.echo(f"deleted {selections} selection(s), {rows} row(s)")


def register_cli(app):
    add_backup_commands(kaosheng)
    add_photo_commands(kaosheng)
    app.cli.add_command(kaosheng)
