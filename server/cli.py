"""The `flask --app wsgi …` commands of API.md: init-db, seed-demo, create-admin, set-admin-password,
close-stale-shifts, qr."""
import os
from pathlib import Path

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from server.extensions import db
from server.models import ADMIN_ROLES, Admin, Unit
from server.stats.tallies import tallies_group


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade(directory=current_app.config["MIGRATIONS_DIR"])
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
@click.option("--activity/--no-activity", default=True,
              help="Also add 30 days of ratings and cases and a year of shifts (only into an empty database).")
def seed_demo_command(activity):
    """Add the demo units, members, windows, posts, codes and admins; print the logins."""
    from server.demo import seed_activity, seed_demo
    from server.stats.services import local_today

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo refuses to run with the production configuration.")
    logins = seed_demo()
    if activity:
        ratings, shifts = seed_activity(local_today())
        if ratings:
            click.echo(f"Demo activity added: {ratings} ratings (30 days) and {shifts} volunteer shifts (a year).")
    click.echo("Demo data ready. Admin logins (the console at /admin/, or POST /api/v1/auth/admin):")
    for username, password, role, unit in logins:
        click.echo(f"  {username:10} password: {password}   {role:13} {unit}")


@click.command("create-admin")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ADMIN_ROLES), required=True)
@click.option("--unit", "unit_id", type=int, help="The unit a unit_admin manages.")
def create_admin_command(username, password, role, unit_id):
    """Add an admin account."""
    from server.auth.services import create_admin

    if db.session.scalar(select(Admin).where(Admin.username == username)) is not None:
        raise click.ClickException(f"An admin named {username!r} already exists.")
    if role == "unit_admin" and (unit_id is None or db.session.get(Unit, unit_id) is None):
        raise click.ClickException("A unit_admin needs --unit with the id of an existing unit.")
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    admin = create_admin(username, password, role, unit_id)
    db.session.commit()
    click.echo(f"Admin {admin.username} (id {admin.id}, {role}) created.")


@click.command("set-admin-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_admin_password_command(username, password):
    """Change an admin's password; every token and console session issued before stops working."""
    from server.auth.services import set_admin_password

    admin = db.session.scalar(select(Admin).where(Admin.username == username))
    if admin is None:
        raise click.ClickException(f"No admin named {username!r}.")
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    set_admin_password(admin, password)
    db.session.commit()
    click.echo(f"Password of {admin.username} changed; their earlier logins are signed out.")


@click.group("qr")
def qr_group():
    """QR codes and printable signs."""


@qr_group.command("export")
@click.option("--unit", "unit_id", type=int, required=True, help="The unit whose signs to export.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="ZIP file to write (default signs-unit-ID.zip).")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="A4 sheet PDF (default: beside the ZIP).")
@click.option("--workers", type=int, default=os.cpu_count() or 1, show_default=True, help="Render processes.")
def qr_export_command(unit_id, out_path, pdf_path, workers):
    """Write every current sign of a unit into one ZIP, and an A4 PDF sheet for printing."""
    from server.qr.export import export_unit, unit_sign_jobs
    from server.qr.fonts import FontMissingError

    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise click.ClickException(f"No unit with id {unit_id}.")
    total = len(unit_sign_jobs(unit_id))
    if not total:
        raise click.ClickException(f"Unit {unit_id} ({unit.name}) has no current codes.")
    out_path = out_path or f"signs-unit-{unit_id}.zip"
    pdf_path = pdf_path or str(Path(out_path).with_suffix(".pdf"))
    for path in (out_path, pdf_path):
        if not Path(path).resolve().parent.is_dir():
            raise click.ClickException(f"The folder of {path} does not exist.")
    try:
        with click.progressbar(length=total, label=f"Rendering {total} signs of {unit.name}") as bar:
            export_unit(unit_id, zip_out=out_path, pdf_out=pdf_path, workers=workers,
                        progress=lambda done, _total: bar.update(1))
    except FontMissingError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"Wrote {out_path} ({total} signs) and {pdf_path}.")


@click.command("close-stale-shifts")
def close_stale_shifts_command():
    """Close shifts left open past their post's limit as needs_review (no minutes, for an admin)."""
    from server.shifts.services import close_stale_shifts

    closed = close_stale_shifts()
    click.echo(f"Closed {closed} shift(s) left open past their post's limit (now needs_review).")


def init_app(app):
    """Register the commands."""
    for command in (init_db_command, seed_demo_command, create_admin_command, set_admin_password_command,
                    close_stale_shifts_command, qr_group, tallies_group):
        app.cli.add_command(command)
