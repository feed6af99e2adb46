"""Command line: run · playground · emulator · content check · flows show · export · i18n."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Helpdesk bot for returnees and migrants. Settings come from environment "
        "variables (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "run",
        help="run the bot against Telegram (needs BOT_TOKEN)",
        description="Run the bot. Needs BOT_TOKEN; BOT_API_URL may point at "
        "`python -m bot emulator` to try it offline.",
    )

    play = sub.add_parser(
        "playground",
        help="chat with the bot offline in this terminal",
        description="Run the emulator and the bot together, no token and no "
        "network needed, and chat as a person or a caseworker. Reads a script "
        "from stdin when it is not a terminal.",
    )
    play.add_argument(
        "--database",
        type=Path,
        default=None,
        help="keep data in this SQLite file (default: a temporary one)",
    )
    play.add_argument(
        "--lang",
        default="en",
        help="the person's Telegram app language (en, ru, az, fa, tr, or e.g. uz): "
        "the bot greets in it and suggests it first; /language changes it in the chat",
    )
    play.add_argument(
        "--webhook",
        action="store_true",
        help="let the emulator post updates to the bot (webhook mode) instead of the "
        "bot calling getUpdates",
    )

    emu = sub.add_parser(
        "emulator",
        help="serve a local Bot API emulator",
        description="Serve a local Telegram Bot API emulator on 127.0.0.1.",
    )
    emu.add_argument("--port", type=int, default=8081)
    emu.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    emu.add_argument("--token", default="123456:TEST-TOKEN")

    content = sub.add_parser("content", help="content pack tools")
    content_sub = content.add_subparsers(dest="content_command", required=True, metavar="ACTION")
    check = content_sub.add_parser(
        "check",
        help="validate the pack and print coverage",
        description="Validate CONTENT_DIR (default: content) and print "
        "a coverage table per language. Exits 1 on errors.",
    )
    check.add_argument("--dir", type=Path, default=None)
    check.add_argument("--quiet", action="store_true", help="print only problems and the summary")
    check.add_argument(
        "--max-age-days",
        type=int,
        default=None,
        help="warn when a source was last checked longer ago than this "
        "(default: CONTENT_MAX_AGE_DAYS, else 365)",
    )

    flows = sub.add_parser("flows", help="eligibility questionnaire tools")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True, metavar="ACTION")
    show = flows_sub.add_parser(
        "show",
        help="print every path of a flow and its outcome",
        description="Print every path through a flow as a table.",
    )
    show.add_argument("flow_id")
    show.add_argument("--lang", default="en")
    show.add_argument("--dir", type=Path, default=None)

    export = sub.add_parser("export", help="export data without personal details")
    export_sub = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    cases = export_sub.add_parser(
        "cases",
        help="cases as CSV (no names, phones or texts)",
        description="Write cases created in [--from, --to] as CSV.",
    )
    cases.add_argument("--from", dest="date_from", type=date.fromisoformat, default=None)
    cases.add_argument("--to", dest="date_to", type=date.fromisoformat, default=None)
    cases.add_argument("--output", type=Path, default=None, help="file (default: stdout)")

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    copy = db_sub.add_parser(
        "copy",
        help="copy the SQLite store into an empty PostgreSQL database",
        description="Copy every table of the SQLite store (DATABASE_PATH, or --from) into the "
        "empty PostgreSQL database at --to, in one transaction. Stop the bot first: what it "
        "writes during the copy would not be copied. Then set DATABASE_URL to the "
        "new database (and keep the same ABUSE_KEY).",
    )
    copy.add_argument("--to", required=True, metavar="postgresql://...", help="the target database")
    copy.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="PATH",
        help="the SQLite file (default: DATABASE_PATH)",
    )
    db_sub.add_parser(
        "migrate",
        help="bring the database (DATABASE_URL) to this version's schema and stop",
        description="Apply pending migrations to DATABASE_URL and print the schema version. The "
        "bot does this itself at start (one instance at a time); run it first to "
        "upgrade the schema before new instances roll out.",
    )

    sub.add_parser(
        "i18n",
        help="extract, update and compile the UI string catalogs",
        description="Run babel extract → update → compile for locales/.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from bot.logging_setup import setup_logging

    if args.command == "run":
        settings = load_settings()
        setup_logging(settings.log_level)
        return _run(settings)
    if args.command == "playground":
        from bot.sandbox.playground import run_playground

        settings = load_settings(require_token=False)
        setup_logging("WARNING")
        try:
            return asyncio.run(
                run_playground(
                    settings, database=args.database, language_code=args.lang, webhook=args.webhook
                )
            )
        except KeyboardInterrupt:  # Ctrl-C before the playground could take it over
            return 130
    if args.command == "emulator":
        from bot.sandbox.emulator import serve_forever

        setup_logging("INFO")
        asyncio.run(serve_forever(args.port, args.latency, args.token))
        return 0
    if args.command == "content":
        from functools import partial

        from bot.bundle import check_extras
        from bot.content.check import main as check_main
        from bot.content.freshness import Freshness

        settings = load_settings(require_token=False)
        root = args.dir or settings.content_dir
        max_age = (
            args.max_age_days if args.max_age_days is not None else settings.content_max_age_days
        )
        today = date.today()
        extra = partial(check_extras, freshness=Freshness(today, max_age))
        return check_main(root, quiet=args.quiet, extra=extra, max_age_days=max_age, today=today)
    if args.command == "flows":
        from bot.flows.show import main as show_main

        root = args.dir or load_settings(require_token=False).content_dir
        return show_main(root, args.flow_id, args.lang)
    if args.command == "export":
        from bot.export import export_cases

        settings = load_settings(require_token=False)
        return asyncio.run(export_cases(settings, args.date_from, args.date_to, args.output))
    if args.command == "db" and args.db_command == "migrate":
        return _migrate(load_settings(require_token=False))
    if args.command == "db":
        return _copy_store(args.source or load_settings(require_token=False).database_path, args.to)
    if args.command == "i18n":
        from bot.i18n_tools import update_catalogs

        return update_catalogs()
    return 2


def _migrate(settings: Settings) -> int:
    from bot.storage import open_store
    from bot.storage.errors import StorageError

    async def migrate() -> int:
        store = await open_store(settings.database, abuse_key=settings.abuse_key)
        try:
            return await store.driver.schema_version()
        finally:
            await store.close()

    try:
        version = asyncio.run(migrate())
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    print(f"schema version {version}")
    return 0


def _copy_store(source: Path, target: str) -> int:
    from bot.storage.errors import StorageError

    if target.split("://", 1)[0] not in ("postgresql", "postgres"):
        print("error: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    from bot.storage.copy import copy_sqlite_to_postgres

    def progress(table: str, rows: int) -> None:
        print(f"  {table}: {rows} rows", file=sys.stderr)

    try:
        report = asyncio.run(copy_sqlite_to_postgres(source, target, progress=progress))
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    print(f"copied {report.total} rows from {source}; now set DATABASE_URL to the new database")
    return 0


def _run(settings: Settings) -> int:
    import logging

    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.app import BotRuntime, run_until_signal
    from bot.content.problems import PackError
    from bot.i18n import CatalogError
    from bot.logging_setup import redact
    from bot.storage.errors import StorageError

    log = logging.getLogger("bot")

    def fail(message: str, code: int) -> int:
        # One line, never a traceback: a rejected token would be printed in it.
        print(f"error: {redact(message, settings.bot_token)}", file=sys.stderr)
        return code

    try:
        asyncio.run(run_until_signal(BotRuntime(settings)))
    except PackError as exc:
        print("error: the content pack has errors; the bot will not start:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 3
    except CatalogError as exc:
        return fail(str(exc), 3)
    except StorageError as exc:
        log.critical("storage: %s", exc)
        return fail(str(exc), 4)
    except InvalidToken:
        return fail("Telegram rejected BOT_TOKEN: copy the token from @BotFather again.", 5)
    except NetworkError as exc:
        return fail(
            f"cannot reach the Bot API at {settings.bot_api_url} ({type(exc).__name__}): check "
            "BOT_API_URL and the network.",
            5,
        )
    except TelegramError as exc:
        return fail(f"the Bot API refused to start the bot: {exc.message}", 5)
    except OSError as exc:
        return fail(f"{type(exc).__name__}: {exc}", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
