"""The ``khidma`` command: serve, demo, migrate, db url, plugins, sandbox."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from khidma.plugins.report import plugins_report
from khidma.plugins.sandbox.cli import add_arguments as add_sandbox_arguments
from khidma.plugins.sandbox.cli import sandbox_command
from khidma.projections.cli import add_arguments as add_projection_arguments
from khidma.projections.cli import replay_command, worker_command
from khidma.schema.auth.cli import add_arguments as add_token_arguments
from khidma.schema.auth.cli import demo_tokens, token_command

from . import running
from .audit.cli import add_arguments as add_audit_arguments
from .audit.cli import audit_command
from .bootstrap import load_demo_data, run_dispatcher, serve
from .config import Settings, SettingsError
from .events.embedded import database_url
from .events.migrate import migrate_database


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="khidma",
        description="khidma (خدمة): the back end of the citizen service centres.",
        epilog="Without KHIDMA_DATABASE_URL, an embedded PostgreSQL in ./.khidma/pgdata is used.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API and the sequencer")
    demo = commands.add_parser("demo", help="load the demo centres, services and people, serve")
    demo.add_argument("--no-serve", action="store_true", help="only load the demo, then exit")
    for served in (run, demo):
        served.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
        served.add_argument("--port", type=int, help="TCP port (default 8000)")
    run.add_argument(
        "--no-workers", action="store_true", help="only the API; projections run in 'khidma worker'"
    )
    add_token_arguments(commands)
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("plugins", help="list plugins, their services and their health")
    dispatch = commands.add_parser(
        "dispatch", help="run the dispatcher and the agencies' callback endpoints only"
    )
    dispatch.add_argument("--host", help="interface for the callbacks (default 127.0.0.1)")
    dispatch.add_argument("--port", type=int, help="TCP port for the callbacks (default 8000)")
    sandbox = commands.add_parser("sandbox", help="serve the agency simulator on 127.0.0.1")
    add_sandbox_arguments(sandbox)
    add_projection_arguments(commands)
    add_audit_arguments(commands)
    db = commands.add_parser("db", help="database helpers")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("url", help="print the URL of the database khidma uses")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it narrates every pg_ctl call
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"khidma: {error}", file=sys.stderr)
        return 2
    if args.command in ("serve", "demo"):
        host = args.host or settings.host
        port = args.port or settings.port
        with database_url(settings) as dsn:
            if args.command == "demo":
                summary = running.run(load_demo_data(dsn, settings))
                lines = summary.lines() + demo_tokens(settings, summary.citizen_ids)
                print("\n".join(lines), flush=True)
                if args.no_serve:
                    return 0
            workers = not getattr(args, "no_workers", False)
            demo_sandbox = args.command == "demo"
            running.run(serve(dsn, settings, host, port, workers, sandbox=demo_sandbox))
        return 0
    if args.command == "token":
        return token_command(settings, args)
    if args.command == "dispatch":
        with database_url(settings) as dsn:
            running.run(
                run_dispatcher(
                    dsn, settings, args.host or settings.host, args.port or settings.port
                )
            )
        return 0
    if args.command == "plugins":
        return running.run(plugins_report(settings))
    if args.command == "sandbox":
        return sandbox_command(settings, args)
    if args.command == "replay":
        return replay_command(settings, args)
    if args.command == "worker":
        return worker_command(settings)
    if args.command == "audit":
        return audit_command(settings, args)
    if args.command == "migrate":
        with database_url(settings) as dsn:
            applied = running.run(migrate_database(dsn, settings))
        print("applied: " + ", ".join(applied) if applied else "up to date")
        return 0
    if args.command == "db":
        with database_url(settings) as dsn:
            print(dsn)
        if not settings.database_url:
            print("(the embedded server stops when its last khidma process exits)", file=sys.stderr)
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
