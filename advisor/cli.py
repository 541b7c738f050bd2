"""The `advisor` command: plan an assessment file, draft its messages to the users, measure its
enrollment progress, check the rules, write their JSON Schema."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from advisor.model.errors import AdvisorError, EngineError, InputError, Problem
from advisor.model.facts import Assessment, load_assessment
from advisor.model.plan import Plan
from advisor.model.vocabulary import LANGUAGES
from advisor.output.drafts import drafts, to_markdown, to_zip
from advisor.output.formats import FORMATS, export, offered
from advisor.rulebook import RuleFile, load_rulebook
from advisor.rulebook.loader import build_rulebook, read_folder
from advisor.services import logs
from advisor.services.planning import build_plan
from advisor.settings import Settings, default_rules_dir, load_settings

if TYPE_CHECKING:
    from advisor.directory.columns import ColumnMapping
    from advisor.directory.errors import MissingColumns

log = logging.getLogger("advisor.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Plan a Microsoft Intune rollout from the planning guide's rules.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser("plan", help="plan an assessment file (YAML or JSON, format 1)")
    plan.add_argument("file", type=Path, help="the assessment file")
    binary = " and ".join(f.name for f in offered("cli") if f.binary)
    plan.add_argument(
        "--format",
        choices=sorted(f.name for f in offered("cli")),
        default="table",
        help=f"output format (table); {binary} need --output",
    )
    plan.add_argument("--language", choices=LANGUAGES, help="language of the plan (the file's own)")
    plan.add_argument("--output", type=Path, help="write here instead of standard output")
    plan.add_argument("--rules", type=Path, help="rule folder (the shipped rules)")

    messages = commands.add_parser(
        "messages", help="the messages to the users of an assessment file: each group's, for each phase"
    )
    messages.add_argument("file", type=Path, help="the assessment file")
    messages.add_argument(
        "--format",
        choices=["markdown", "json", "zip"],
        default="markdown",
        help="Markdown (one document), JSON, or a zip of .eml e-mail drafts (needs --output)",
    )
    messages.add_argument("--language", choices=LANGUAGES, help="language of the messages (the file's own)")
    messages.add_argument("--output", type=Path, help="write here instead of standard output")
    messages.add_argument("--rules", type=Path, help="rule folder (the shipped rules)")

    progress = commands.add_parser(
        "progress",
        help="the plan of an assessment file against what enrolled: an Entra ID users export and an "
        "Intune devices export (CSV), read and dropped; only the figures are printed",
    )
    progress.add_argument("file", type=Path, help="the assessment file")
    progress.add_argument("users", type=Path, help="the users export (Entra admin center: Download users)")
    progress.add_argument(
        "devices", type=Path, help="the devices export (Intune admin center: All devices, Export)"
    )
    progress.add_argument(
        "--today", type=datetime.date.fromisoformat, help="the day to measure on, YYYY-MM-DD (today)"
    )
    progress.add_argument("--format", choices=["text", "json"], default="text", help="output format (text)")
    progress.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KIND.FIELD=HEADER",
        help="the header in a file of a column the reading does not recognise, such as "
        "devices.managed_by='Hanterad av' (repeatable), as for advisor groups propose",
    )
    progress.add_argument(
        "--mapping",
        type=Path,
        help="a file (JSON) that remembers the column mappings (the one advisor groups propose "
        "writes): read if it is there, and written with the --map given once the measure succeeds",
    )
    progress.add_argument("--language", choices=LANGUAGES, help="language of the report (the file's own)")
    progress.add_argument("--rules", type=Path, help="rule folder (the shipped rules)")

    rules = commands.add_parser("rules", help="work with rule files")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rule_commands.add_parser("check", help="validate and lint a rule folder (errors block)")
    check.add_argument("dir", type=Path, nargs="?", help="rule folder (the shipped rules)")
    test = rule_commands.add_parser("test", help="run the scenario suite of a rule folder")
    test.add_argument("dir", type=Path, nargs="?", help="rule folder; its scenarios/ are run")
    diff = rule_commands.add_parser("diff", help="parameters and plans that change between two rule folders")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--no-saved", action="store_true", help="only the scenarios, not saved assessments")
    imported = rule_commands.add_parser(
        "import",
        help="make a rule folder (its rule files and scenarios) the site's rulebook in the database "
        "(ADVISOR_DATABASE_URL), checked as an admin's save is; every running instance adopts it",
    )
    imported.add_argument("dir", type=Path, help="rule folder")
    exported = rule_commands.add_parser(
        "export", help="write the site's rulebook (rule files and scenarios) from the database into a folder"
    )
    exported.add_argument("dir", type=Path, help="folder to write (created if missing)")
    schema = rule_commands.add_parser("schema", help="write the JSON Schema of rule files")
    schema.add_argument("--output", type=Path, help="write here instead of standard output")

    users = commands.add_parser("users", help="manage the site's accounts (ADVISOR_DATABASE_URL)")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="create an account; prints a generated password")
    create.add_argument("username")
    create.add_argument("--role", choices=["respondent", "reviewer", "admin"], default="respondent")
    user_commands.add_parser("list", help="list the accounts")
    disable = user_commands.add_parser("disable", help="disable an account (it can no longer log in)")
    disable.add_argument("username")
    enable = user_commands.add_parser("enable", help="enable a disabled account")
    enable.add_argument("username")
    password = user_commands.add_parser(
        "password",
        help="set a new password (generated and printed once) and end every session of the account",
    )
    password.add_argument("username")
    password.add_argument(
        "--stdin", action="store_true", help="read the new password from standard input (one line)"
    )
    token = user_commands.add_parser("token", help="make an API token for an account (shown once)")
    token.add_argument("username")
    token.add_argument("--name", default="command line", help="what the token is for")

    groups = commands.add_parser("groups", help="groups from the organisation's own exports")
    group_commands = groups.add_subparsers(dest="groups_command", required=True, metavar="ACTION")
    propose = group_commands.add_parser(
        "propose",
        help="propose groups from an Entra ID users export (and an Intune devices export) and write "
        "an assessment file; only counts are kept, the report goes to standard error",
    )
    propose.add_argument("users", type=Path, help="the users export (CSV)")
    propose.add_argument("--devices", type=Path, help="the devices export (CSV)")
    propose.add_argument("--output", type=Path, help="the assessment file to write (YAML; standard output)")
    propose.add_argument("--organisation", help="the organisation's name")
    propose.add_argument("--start", help="the first month of the rollout, YYYY-MM (next month)")
    propose.add_argument(
        "--language", choices=LANGUAGES, default="en", help="language of the names and the plan"
    )
    propose.add_argument(
        "--confirm-executives",
        action="store_true",
        help="keep the executives found by job title as a group (else they stay in their departments)",
    )
    propose.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="KIND.FIELD=HEADER",
        help="the header in the file of a column the import does not recognise, such as "
        "users.department=Avdelning or devices.upn='Primary user email address' (repeatable)",
    )
    propose.add_argument(
        "--mapping",
        type=Path,
        help="a file (JSON) that remembers the column mappings: read if it is there, and written with "
        "the --map given once the import succeeds, so that the next import needs none",
    )
    propose.add_argument("--rules", type=Path, help="rule folder (the shipped rules)")

    database = commands.add_parser("db", help="the site's database (ADVISOR_DATABASE_URL)")
    database_commands = database.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    database_commands.add_parser(
        "upgrade",
        help="migrate the database to this version's schema, once (another process migrating "
        "it at the same time is waited for); on an empty database, create the first admin",
    )
    commands.add_parser(
        "worker",
        help="run jobs (the impact of rule changes) from the database's queue until stopped (SIGTERM)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on bad usage
    try:
        settings = load_settings()
        logs.configure(settings)
        if args.command == "plan":
            return _plan(args, settings)
        if args.command == "messages":
            return _messages(args, settings)
        if args.command == "progress":
            return _progress(args, settings)
        if args.command == "users":
            return _users(args, settings)
        if args.command == "db":
            return _upgrade(settings)
        if args.command == "groups":
            return _propose(args)
        if args.command == "worker":
            return _worker(settings)
        if args.rules_command == "check":
            return _check(args.dir or default_rules_dir())
        if args.rules_command == "test":
            return _test(args.dir or default_rules_dir())
        if args.rules_command == "diff":
            return _diff(args.old, args.new, settings, saved=not args.no_saved)
        if args.rules_command in ("import", "export"):
            return _transfer(args.rules_command, args.dir, settings)
        return _schema(args.output)
    except AdvisorError as exc:
        if isinstance(exc, EngineError):  # a defect, not the input: its traceback goes to the log
            logs.event(log, "engine.error", level=logging.ERROR, exc_info=True, command=args.command)
        print(exc.format_message(), file=sys.stderr)
        return exc.exit_code


def _planned(args: argparse.Namespace, settings: Settings) -> tuple[Assessment, Plan]:
    from advisor.evaluate.engine import Engine  # the engine (durable_rules) loads only when it plans

    assessment = load_assessment(args.file)
    engine = Engine(load_rulebook(args.rules or default_rules_dir()))
    try:
        with engine.version() as compiled:
            plan = build_plan(assessment, compiled, args.language, max_months=settings.max_rollout_months)
    finally:
        engine.close()
    return assessment, plan


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    if FORMATS[args.format].binary and args.output is None:
        print(
            f"advisor plan: --format {args.format} writes a binary file: give --output PATH", file=sys.stderr
        )
        return 2
    _, plan = _planned(args, settings)
    _write(export(plan, args.format), args.output)
    return 0


def _messages(args: argparse.Namespace, settings: Settings) -> int:
    if args.format == "zip" and args.output is None:
        print("advisor messages: --format zip writes a binary file: give --output PATH", file=sys.stderr)
        return 2
    assessment, plan = _planned(args, settings)
    found = drafts(plan, assessment, plan.language)
    if args.format == "zip":
        data = to_zip(found)
    elif args.format == "json":
        text = json.dumps([d.model_dump(mode="json") for d in found], indent=2, ensure_ascii=False)
        data = (text + "\n").encode()
    else:
        data = to_markdown(found, plan.organisation, plan.language).encode()
    _write(data, args.output)
    return 0


def _progress(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.directory.errors import MissingColumns
    from advisor.directory.progress import ProgressSettings, measure
    from advisor.directory.reading import read_devices, read_users
    from advisor.output.progress import progress_text

    assessment, plan = _planned(args, settings)
    rulebook = load_rulebook(args.rules or default_rules_dir())
    mapping = _column_mapping(args.mapping, args.map, "advisor progress")
    if mapping is None:
        return 2
    # The exports are read as streams from their files and nothing of them is kept: the report
    # holds counts only.
    with _opened(args.users) as users, _opened(args.devices) as devices:
        try:
            progress = measure(
                assessment,
                plan,
                read_users(users, mapping.users, source=str(args.users)),
                read_devices(devices, mapping.devices, source=str(args.devices)),
                today=args.today or datetime.date.today(),
                settings=ProgressSettings.from_rulebook(rulebook),
            )
        except MissingColumns as missing:
            _say_missing(missing)
            return missing.exit_code
    if args.mapping is not None:
        args.mapping.write_text(mapping.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if args.format == "json":
        sys.stdout.write(progress.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(progress_text(progress, args.language or assessment.organisation.language))
    return 0


def _propose(args: argparse.Namespace) -> int:
    import yaml

    from advisor.directory.aggregate import propose
    from advisor.directory.edits import Executives, apply_edits, assessment_groups
    from advisor.directory.errors import MissingColumns
    from advisor.directory.settings import DirectorySettings
    from advisor.directory.summary import report_lines
    from advisor.model.facts import parse_assessment
    from advisor.model.i18n import gettext

    settings = DirectorySettings.from_rulebook(load_rulebook(args.rules or default_rules_dir()))
    mapping = _column_mapping(args.mapping, args.map)
    if mapping is None:
        return 2
    with contextlib.ExitStack() as stack:
        users = stack.enter_context(_opened(args.users))
        devices = None if args.devices is None else stack.enter_context(_opened(args.devices))
        try:
            proposal = propose(users, devices, settings=settings, mapping=mapping, language=args.language)
        except MissingColumns as missing:
            _say_missing(missing)
            return missing.exit_code
    edits = [Executives(group=g.id, confirmed=True) for g in proposal.groups if g.executives]
    groups = apply_edits(proposal, edits if args.confirm_executives else [])
    start = args.start or _next_month()
    organisation = args.organisation or gettext("Our organisation", args.language)
    data = {
        "version": 1,
        "organisation": {"name": organisation, "rollout_start": start, "language": args.language},
        "groups": assessment_groups(proposal, groups),
    }
    parse_assessment(data, str(args.output or "assessment"), args.language)
    for line in report_lines(proposal, groups, args.language):
        print(line, file=sys.stderr)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    _write(text.encode(), args.output)
    if args.mapping is not None:
        args.mapping.write_text(mapping.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return 0


def _say_missing(missing: MissingColumns) -> None:
    """On standard error: the columns a file lacks, the file's own (headers, or "column N" for a
    first line that reads as data), and how to name them."""
    print(missing.format_message(), file=sys.stderr)
    print(f"  the file's columns: {', '.join(missing.headers)}", file=sys.stderr)
    example = f"{missing.kind}.{missing.missing[0]}=HEADER"
    print(f"  name the column of each with --map {example} (and --mapping FILE to remember it)",
          file=sys.stderr)  # fmt: skip


def _column_mapping(
    remembered: Path | None, given: Sequence[str], command: str = "advisor groups propose"
) -> ColumnMapping | None:
    """The mapping of `--mapping FILE` (if it is there) with the `--map KIND.FIELD=HEADER` given
    over it; None, said on standard error, when one of them is wrong."""
    from pydantic import ValidationError

    from advisor.directory.columns import ColumnMapping

    values: dict[str, dict[str, str]] = {"users": {}, "devices": {}}
    try:
        if remembered is not None and remembered.exists():
            values.update(ColumnMapping.model_validate_json(remembered.read_bytes()).model_dump())
        for option in given:
            target, equals, header = option.partition("=")
            kind, dot, field = target.strip().partition(".")
            if not (equals and dot and kind in values and field and header.strip()):
                print(f"{command}: --map {option}: write KIND.FIELD=HEADER, KIND users or devices",
                      file=sys.stderr)  # fmt: skip
                return None
            values[kind][field] = header.strip()
        return ColumnMapping.model_validate(values)
    except (ValidationError, OSError) as exc:
        where = "--map" if given else str(remembered)
        print(f"{command}: {where}: {_first_error(exc)}", file=sys.stderr)
        return None


def _first_error(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return str(getattr(exc, "strerror", None) or exc)


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """The file, open for reading as bytes; InputError if it cannot be."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InputError(str(path), [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    with stream:
        yield stream


def _next_month() -> str:
    today = datetime.date.today()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def _users(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.services.accounts import AccountError, create_user, generate_password, reset_password
    from advisor.store.accounts import create_token, user_by_name
    from advisor.store.database import Store
    from advisor.store.migrate import upgrade
    from advisor.store.tables import User

    url = settings.resolved_database_url
    upgrade(url)
    store = Store(url)
    with store.session() as session:
        if args.users_command == "create":
            password = generate_password()
            create_user(store, session, args.username, password, args.role)
            print(f"created {args.username} ({args.role}); password: {password}")
        elif args.users_command == "list":
            for user in session.query(User).order_by(User.username):
                state = "disabled" if user.disabled else "active"
                print(f"{user.username:24} {user.role:11} {state}")
        elif args.users_command == "password":
            account = user_by_name(session, args.username)
            if account is None:
                raise AccountError(f"there is no user '{args.username}'")
            given = sys.stdin.readline().rstrip("\r\n") if args.stdin else None
            new_password = reset_password(session, None, account, given)
            if args.stdin:
                print(f"{args.username}: password changed; every session ended, every API token revoked")
            else:
                print(f"new password for {args.username}: {new_password}")
        elif args.users_command == "token":
            owner = user_by_name(session, args.username)
            if owner is None:
                raise AccountError(f"there is no user '{args.username}'")
            print(create_token(session, owner, args.name))
        else:
            account = user_by_name(session, args.username)
            if account is None:
                raise AccountError(f"there is no user '{args.username}'")
            account.disabled = args.users_command == "disable"
            print(f"{args.username}: {'disabled' if account.disabled else 'enabled'}")
    return 0


def _upgrade(settings: Settings) -> int:
    from advisor.services.accounts import ensure_first_admin
    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    url = settings.resolved_database_url
    migration = upgrade(url)
    if migration.ran:
        print(f"database migrated from {migration.before or 'empty'} to {migration.after}")
    else:
        print(f"database already at {migration.after}: nothing to do")
    store = Store(url)
    try:
        password = ensure_first_admin(store)
    finally:
        store.engine.dispose()
    if password:
        print(f"First start: log in as 'admin' with the password {password} (shown only this once)")
    return 0


def _check(folder: Path) -> int:
    from advisor.services.rule_admin import check_folder

    rulebook, findings = check_folder(folder)  # raises with every finding if anything blocks
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    verdict = "OK" if not errors else f"{errors} error{'s' if errors != 1 else ''}"
    print(
        f"{folder}: {len(rulebook.rules)} rules in {len(rulebook.files)} files, version {rulebook.version}: "
        f"{verdict}, {warnings} warning{'s' if warnings != 1 else ''}"
    )
    return 1 if errors else 0


def _test(folder: Path) -> int:
    from advisor.evaluate.engine import Engine
    from advisor.quality.scenarios import load_scenario, run_scenario, scenario_files

    rulebook = load_rulebook(folder)
    paths = scenario_files(folder / "scenarios")
    engine = Engine(rulebook)
    passed = failed = 0
    try:
        with engine.version() as compiled:
            for path in paths:
                outcome = run_scenario(load_scenario(path), compiled, str(path))
                if outcome.passed:
                    passed += 1
                    print(f"PASS {path.stem}")
                else:
                    failed += 1
                    print(f"FAIL {path.stem}")
                    for failure in outcome.failures:
                        print(f"     {failure}")
    finally:
        engine.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not paths else 0


def _diff(old: Path, new: Path, settings: Settings, *, saved: bool) -> int:
    from advisor.quality.diff import parameter_changes
    from advisor.quality.impact import Item, impact_of, open_saved, saved_rows, scenario_assessments

    sources = read_folder(old), read_folder(new)
    before, after = build_rulebook(sources[0], label=str(old)), build_rulebook(sources[1], label=str(new))
    items: list[Item] = []
    items += scenario_assessments(new / "scenarios") or scenario_assessments(old / "scenarios")
    store = open_saved(settings.resolved_database_url) if saved else None
    try:
        if store is not None:
            with store.session() as db:
                items += saved_rows(db)[0]
        changed = impact_of(
            before,
            after,
            items,
            max_months=settings.max_rollout_months,
            sources=sources,
            saved_plans=store.url if store is not None else None,
        )
    finally:
        if store is not None:
            store.engine.dispose()
    for change in parameter_changes(before, after):
        print(change)
    for name, lines in changed:
        print(name)
        for line in lines:
            print(f"  {line}")
    print(f"rulebook {before.version} -> {after.version}: {len(changed)} of {len(items)} plans change")
    return 0


def _transfer(command: str, folder: Path, settings: Settings) -> int:
    """`rules import DIR` and `rules export DIR`: between a folder and the database's rulebook."""
    from advisor.services.live_rules import seed_from_folder
    from advisor.services.rule_admin import export_folder, import_folder
    from advisor.store.database import Store
    from advisor.store.migrate import upgrade

    url = settings.resolved_database_url
    upgrade(url)
    store = Store(url)
    try:
        if command == "export":
            seed_from_folder(store, settings.rules_dir)  # as a site starting on it would hold
            names = export_folder(store, folder)
            print(f"{folder}: wrote {len(names)} files")
            return 0
        findings = import_folder(store, folder)
    finally:
        store.engine.dispose()
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{folder}: not imported ({len(findings)} findings)", file=sys.stderr)
        return 1
    print(f"{folder}: imported")
    return 0


def _worker(settings: Settings) -> int:
    """Claim and run jobs until SIGTERM or SIGINT; a job under way goes back to the queue at its
    next checkpoint, for the next worker to resume."""
    import signal

    from advisor.services.jobs import Worker
    from advisor.services.runtime import open_services

    services = open_services(settings)
    worker = Worker(services)

    def stop(_signal: int, _frame: object) -> None:
        worker.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logs.event(log, "worker.started", owner=worker.owner)
    try:
        worker.run()
    finally:
        services.close()
    logs.event(log, "worker.stopped", owner=worker.owner)
    return 0


def _schema(output: Path | None) -> int:
    schema = RuleFile.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "Rollout Advisor rule file",
    }
    _write((json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode(), output)
    return 0


def _write(data: bytes, output: Path | None) -> None:
    """Write atomically: a failed run leaves no file, and never half of one."""
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
