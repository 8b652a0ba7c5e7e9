"""flask kaosheng …: init (permissions + roles), seed-demo, create-admin, purge-prints."""
import click
from flask import current_app
from flask.cli import AppGroup

from .extensions import db

kaosheng = AppGroup("kaosheng", help="kaosheng administration commands.")


@kaosheng.command("init")
def init_command():
    """Sync permissions and the role definitions of app/security.py into the database."""
    current_app.appbuilder.sm.sync_roles()
    click.echo("roles and permissions synced")


@kaosheng.command("seed-demo")
def seed_demo_command():
    """Load the demo province, units, exams and one user per role (idempotent)."""
    from .demo import seed_demo

    current_app.appbuilder.sm.sync_roles()
    summary = seed_demo()
    db.session.commit()
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@kaosheng.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--province-code", default="410000", show_default=True)
@click.option("--province-name", default="河南省", show_default=True)
def create_admin_command(username, password, province_code, province_name):
    """Create the province root node (if missing) and its first province administrator."""
    from .demo import ensure_node, ensure_user
    from .jurisdiction import PROVINCE
    from .passwords import password_problems

    problems = password_problems(password, [username])
    if problems:
        raise click.UsageError(" ".join(str(p) for p in problems))
    current_app.appbuilder.sm.sync_roles()
    root = ensure_node(None, province_code, province_name, PROVINCE)
    ensure_user(username, password, root, "province_admin", "省级", "管理员")
    db.session.commit()
    click.echo(f"province admin {username} ready")


@kaosheng.command("purge-prints")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="keep the PDFs of batches finished within this many days")
def purge_prints_command(days):
    """Delete old batch-print PDFs under UPLOAD_DIR/prints (the batches stay listed)."""
    from .forms.tasks import purge_prints

    files, freed = purge_prints(days)
    click.echo(f"deleted {files} file(s), {freed / 2**20:.1f} MiB")


def register_cli(app):
    app.cli.add_command(kaosheng)
