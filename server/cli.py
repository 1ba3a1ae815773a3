"""The `flask --app wsgi …` commands of API.md: init-db, seed-demo, create-admin."""
import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from server.extensions import db
from server.models import ADMIN_ROLES, Admin, Unit


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade(directory=current_app.config["MIGRATIONS_DIR"])
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
def seed_demo_command():
    """Add the demo units, members, windows, posts, codes and admins; print the logins."""
    from server.demo import seed_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo refuses to run with the production configuration.")
    logins = seed_demo()
    click.echo("Demo data ready. Admin logins (POST /api/v1/auth/admin):")
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


def init_app(app):
    """Register the commands."""
    for command in (init_db_command, seed_demo_command, create_admin_command):
        app.cli.add_command(command)
