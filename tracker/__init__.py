"""The tracker: CPPCC proposals, their handling units, and the bureau's reply letters."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, Config, config_from_env, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, CLI."""
    config = config or config_from_env()
    config.check()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(INSTANCE_DIR),
        instance_relative_config=True,
    )
    app.config.from_object(config)
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from tracker import db_setup  # noqa: F401  (installs the SQLite connection hooks)
    from tracker.web import register_extensions, register_web

    register_extensions(app)
    register_web(app)
    _register_cli(app)
    _warn_about_missing_system_packages(app)
    return app


def _warn_about_missing_system_packages(app: Flask) -> None:
    from tracker.documents.system import missing_fonts, missing_libraries

    packages = missing_libraries()
    if packages:
        app.logger.warning(
            "Letters will print slowly or not at all: install the Debian packages %s "
            "(scripts/system-packages.sh does it).",
            " ".join(packages),
        )
    fonts = missing_fonts()
    if fonts:
        app.logger.warning(
            "Fonts missing for letters: %s (Debian: fonts-noto-cjk fonts-lxgw-wenkai)",
            ", ".join(fonts),
        )


def _register_cli(app: Flask) -> None:
    from tracker.auth.cli import users_cli
    from tracker.core.cli import audit_cli, backup_cli, setup_command
    from tracker.demo.cli import demo_cli
    from tracker.exchange.cli import archive_cli, cases_cli
    from tracker.exchange.import_cli import import_cli
    from tracker.jobs.cli import jobs_cli
    from tracker.replies.cli import replies_cli
    from tracker.search.cli import search_cli
    from tracker.supervision.cli import reminders_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(setup_command)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(replies_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(cases_cli)
    app.cli.add_command(archive_cli)
    app.cli.add_command(import_cli)
