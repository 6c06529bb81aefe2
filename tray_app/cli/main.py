"""The `lensmor-tray` command: argparse subcommands, exit codes and one-line errors.

Exit codes (documented in the README):
    0 ok · 1 "not enabled" answers (autostart status) · 2 usage or config error ·
    3 key missing or rejected · 4 network, server or bad response · 5 rate limited

Every error the user can cause is reported as one line on stderr that says what happened and
what to do, with the traceId when the server sent one; never a traceback, never the key.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tray_app.cli.accounts import (
    AccountCommands,
    add_account_parser,
    single_account,
    worst_exit,
)
from tray_app.cli.args import (
    add_account_option,
    add_global_options,
    add_status_parser,
    selected_accounts,
    status_format,
)
from tray_app.cli.hints import account_add_command, key_set_command
from tray_app.cli.status_text import status_json, status_text
from tray_app.config.loading import load_settings
from tray_app.config.model import DEFAULT_ACCOUNT, AccountConfig, ConfigError, Settings
from tray_app.config.paths import AppPaths
from tray_app.config.urls import effective_base_url
from tray_app.core import errors, fmt
from tray_app.core.balance import Balance
from tray_app.core.language import ENGLISH, N_, Language
from tray_app.core.pacing import DEMO, PRODUCTION, PacingProfile
from tray_app.core.state import PollResult, Problem
from tray_app.keys.key_store import (
    InvalidKey,
    KeyStore,
    KeyStoreFailed,
    looks_like_lensmor_key,
    normalise_key,
)
from tray_app.support.i18n import language_from_environ
from tray_app.support.log_setup import configure_logging

if TYPE_CHECKING:
    from tray_app.api.client import ApiError

EXIT_OK = 0
EXIT_NO = 1
EXIT_USAGE = 2
EXIT_KEY = 3
EXIT_UNAVAILABLE = 4
EXIT_RATE_LIMITED = 5
#: How much of a piped stdin `key set` reads: blank lines before the key, and one line's length.
MAX_KEY_INPUT_LINES = 100
MAX_KEY_INPUT_CHARS = 4096
MAX_HISTORY_DAYS = 3660  # ten years: more than the history keeps, and a sane amount to print


class CliError(Exception):
    """A failure to report as one line with an exit code.

    `message` is English (marked with `N_` where it is written) with {named} placeholders
    filled from `values`; `text(lang)` words it in the user's language. A value that is a
    callable is a piece worded elsewhere (core.errors) and gets the language too. `str()` is
    the English line (logs, JSON)."""

    def __init__(self, message: str, code: int, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(self.text(ENGLISH))
        self.code = code

    def text(self, lang: Language) -> str:
        if not self.values:
            return lang.gettext(self.message)
        filled = {
            name: value(lang) if callable(value) else value for name, value in self.values.items()
        }
        return lang.gettext(self.message).format(**filled)


def user_language() -> Language:
    """The language the environment asks for (LC_ALL, LC_MESSAGES, LANG)."""
    return language_from_environ(os.environ)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lensmor-tray",
        description="Shows your Lensmor API credits in the system tray.",
        epilog="With no command, starts the tray app.",
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_status_parser(sub)  # shared with the `status --cached` fast path (entry.py)
    sub.add_parser("refresh", help="ask the running tray app to refresh now")
    doctor = sub.add_parser("doctor", help="check the key, API, tray, notifications and files")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")

    key = sub.add_parser("key", help="set, show or clear the API key")
    add_account_option(key, "the key")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    for action, text in (
        ("set", "store a key (reads stdin when piped, else prompts)"),
        ("show", "show the key masked, and where it comes from"),
        ("clear", "remove the stored key"),
    ):
        # `key --account W show` and `key show --account W` both work; SUPPRESS keeps the
        # sub-command's default from overwriting a value given before it.
        add_account_option(key_sub.add_parser(action, help=text), "the key", argparse.SUPPRESS)

    sub.add_parser("paths", help="print where the config, data and logs live")

    run = sub.add_parser("run", help="start the tray app (the default)")
    run.add_argument(
        "--autostart", action="store_true", help="started at login: wait for the tray to appear"
    )
    run.add_argument(
        "--demo-without-key",
        action="store_true",
        help="run the demo instead when no API key is configured (what `make run` does)",
    )
    sub.add_parser("demo", help="run the tray app against a simulated account (no key needed)")
    sub.add_parser("settings", help="open the settings window")
    autostart = sub.add_parser("autostart", help="start the tray app at login (or not)")
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    history = sub.add_parser(
        "history",
        help="print recent balance changes and daily usage",
        # Written out: argparse's own synopsis wraps onto a second line with --account, and
        # an error is the synopsis plus one line.
        usage="%(prog)s [-h] [--json | --csv | --chart] [--days N] [--account NAME]",
    )
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print one JSON object")
    shape.add_argument(
        "--csv", action="store_true", help="print every recorded change as CSV (all of it)"
    )
    shape.add_argument(
        "--chart", action="store_true", help="draw the balance and daily spending (sparklines)"
    )
    history.add_argument(
        "--days", type=int, default=14, metavar="N", help="days of usage to show (14)"
    )
    add_account_option(history, "the history")
    add_account_parser(sub)
    usage = sub.add_parser("usage", help="open the Usage window (charts of the history)")
    usage.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)  # the demo's history
    add_account_option(usage, "the history")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: cmd_run,
        "run": cmd_run,
        "demo": cmd_demo,
        "settings": cmd_settings,
        "usage": cmd_usage,
        "history": cmd_history,
        "autostart": cmd_autostart,
        "status": cmd_status,
        "key": cmd_key,
        "paths": cmd_paths,
        "refresh": cmd_refresh,
        "doctor": cmd_doctor,
        "account": cmd_account,
    }
    handler = handlers[args.command]
    # A warning logged before (or without) configure_logging, e.g. "the key file is readable
    # by others", reaches the user as one prefixed line (logging's own last resort prints the
    # bare message).
    logging.lastResort = _OneLineLastResort()
    try:
        return handler(args)
    except CliError as exc:
        _error(exc.text(user_language()))
        return exc.code
    except ConfigError as exc:
        # The detail is worded in English by the config package (not translated yet).
        _error(user_language().gettext("config error: {detail}").format(detail=exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `lensmor-tray ... | head`: the reader has what it wanted; no second complaint at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # A full or read-only disk, a file where a folder should be: one line, like a config
        # error. The code that wrote has rolled back its own half (atomic writes, account_files).
        # A KeyStoreFailed (an OSError too) is worded whole by keys/key_store.py.
        from tray_app.support.file_problems import one_line

        _error(str(exc) if isinstance(exc, KeyStoreFailed) else one_line(exc, user_language()))
        return EXIT_USAGE


def _error(message: str, stream: TextIO | None = None) -> None:
    print(f"lensmor-tray: {message}", file=stream or sys.stderr)


class _OneLineLastResort(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        _error(f"{record.levelname.lower()}: {record.getMessage()}")


# -- shared set-up -------------------------------------------------------------------------


def app_paths(args: argparse.Namespace) -> AppPaths:
    return AppPaths.default(args.config)


def load_config(args: argparse.Namespace) -> tuple[AppPaths, Settings]:
    paths = app_paths(args)
    if args.config is not None:
        try:
            exists = args.config.exists()
        except OSError as exc:  # a name too long, a directory we may not enter
            raise ConfigError(f"cannot use --config {args.config}: {exc.strerror}") from None
        if not exists:
            raise CliError(
                N_("config error: the config file {path} does not exist"),
                EXIT_USAGE,
                path=args.config,
            )
    return paths, load_settings(paths.config_file)


def key_store(paths: AppPaths, account: str = DEFAULT_ACCOUNT) -> KeyStore:
    return KeyStore(paths.key_file, account)


def api_error_to_cli(exc: ApiError, account: str = DEFAULT_ACCOUNT) -> CliError:
    """Map a client error to the one line and exit code the user sees (worded by core.errors)."""
    # Imported here: requests costs ~0.1 s of start-up that `history`, `usage` and the other
    # commands that never call the API should not pay.
    from tray_app.api.client import RateLimited, problem_of

    problem = problem_of(exc)
    if problem is Problem.KEY_REJECTED:
        return CliError(
            N_("the API key was rejected ({detail}); {advice} and run `{command}`"),
            EXIT_KEY,
            detail=str(exc),
            advice=lambda lang: errors.advice(problem, lang=lang),
            command=key_set_command(account),
        )
    if isinstance(exc, RateLimited):
        retry_after = exc.retry_after

        def line(lang: Language) -> str:
            return errors.one_line(problem, None, retry_after, lang)

        if exc.trace_id:
            return CliError(
                N_("{problem} (traceId {trace})"),
                EXIT_RATE_LIMITED,
                problem=line,
                trace=exc.trace_id,
            )
        return CliError("{problem}", EXIT_RATE_LIMITED, problem=line)
    detail = str(exc)  # the client's words (English): an HTTP status, a timeout
    return CliError(
        "{problem}",
        EXIT_UNAVAILABLE,
        problem=lambda lang: errors.one_line(problem, detail, lang=lang),
    )


# -- status --------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    paths, settings = load_config(args)
    out_format = status_format(args)
    accounts = selected_accounts(args, settings)
    if args.cached:
        return _status_cached(args, paths, settings, out_format, accounts)
    if out_format not in ("text", "json"):
        return _status_live_feed(args, paths, settings, out_format, accounts)
    if len(accounts) == 1:
        # One account: exactly the output of the single-account app.
        balance, fetched_at = fetch_balance_of(paths, settings, accounts[0].name)
        alerts = settings.alerts_for(accounts[0].name)
        if out_format == "json":
            print(json.dumps(status_json(balance, alerts, fetched_at)))
        else:
            print(status_text(balance, alerts, fetched_at, user_language()))
        return EXIT_OK
    return _status_of_several(args, paths, settings, accounts)


def _status_of_several(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    accounts: Sequence[AccountConfig],
) -> int:
    """One block (or JSON object) per account; one account's failure does not hide the
    others. The exit code is the worst of them (cli_accounts.EXIT_SEVERITY)."""
    codes: list[int] = []
    objects: list[dict[str, object]] = []
    blocks: list[str] = []
    lang = user_language()
    for account in accounts:
        alerts = settings.alerts_for(account.name)
        try:
            balance, fetched_at = fetch_balance_of(paths, settings, account.name)
        except CliError as exc:
            codes.append(exc.code)
            _error(f"{account.name}: {exc.text(lang)}")
            # JSON stays English: scripts read it.
            objects.append({"account": account.name, "error": str(exc), "exitCode": exc.code})
            blocks.append(
                f"{account.name}\n  "
                + lang.gettext("error: {message}").format(message=exc.text(lang))
            )
            continue
        codes.append(EXIT_OK)
        objects.append({"account": account.name, **status_json(balance, alerts, fetched_at)})
        text = status_text(balance, alerts, fetched_at, lang)
        blocks.append(f"{account.name}\n" + "\n".join(f"  {line}" for line in text.splitlines()))
    if args.json:
        print(json.dumps({"accounts": objects}))
    else:
        print("\n\n".join(blocks))
    return worst_exit(codes)


def fetch_balance_of(paths: AppPaths, settings: Settings, account: str) -> tuple[Balance, float]:
    """Fetch `account`'s balance once; CliError (one line, exit code) on any failure."""
    base_url = effective_base_url(settings, os.environ, account)
    store = key_store(paths, account)
    stored = store.load()  # its warnings are logged, and so shown once (see main)
    if stored is None:
        raise CliError(
            N_(
                "no API key is set; run `{command}` (create one in the Lensmor app under "
                "Settings -> API Keys)"
            ),
            EXIT_KEY,
            command=key_set_command(account),
        )
    return _fetch_with_key(base_url, stored.value, account), time.time()


def _fetch_with_key(base_url: str, key: str, account: str = DEFAULT_ACCOUNT) -> Balance:
    from tray_app.api.client import ApiError, client_for_profile

    client = client_for_profile(base_url, key, _pacing_profile())
    try:
        return client.fetch_balance().balance
    except ApiError as exc:
        raise api_error_to_cli(exc, account) from None
    finally:
        client.close()


def _status_live_feed(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    out: str,
    accounts: Sequence[AccountConfig],
) -> int:
    """`status --format waybar|...`: fetch each account once; an account that fails is told
    on stderr and left out of the feed (the exit code is the worst of them)."""
    from tray_app.cli import status_feed

    snapshots = []
    codes: list[int] = []
    now = time.time()
    for account in accounts:
        try:
            balance, fetched_at = fetch_balance_of(paths, settings, account.name)
        except CliError as exc:
            if len(accounts) == 1:
                raise
            codes.append(exc.code)
            _error(f"{account.name}: {exc.text(user_language())}")
            continue
        codes.append(EXIT_OK)
        state = status_feed.fetched_state(PollResult(fetched_at, balance=balance))
        snapshots += status_feed.live_accounts(
            state, settings, fetched_at, account.name, user_language()
        )
    if not snapshots:
        return worst_exit(codes)
    refresh = status_feed.refresh_argv(args.config) if out == "xbar" else []
    print(status_feed.render(out, snapshots, settings, now, refresh_command=refresh))
    return worst_exit(codes)


def _status_cached(
    args: argparse.Namespace,
    paths: AppPaths,
    settings: Settings,
    out: str,
    accounts: Sequence[AccountConfig],
) -> int:
    """`status --cached`: the running app's last saved state; no request, no key."""
    from tray_app.cli import status_feed
    from tray_app.cli.cached_state import CachedStateError

    unreadable: list[str] = []  # of several accounts: listed as such, said on stderr, exit 4
    try:
        output = status_feed.cached_output(
            out,
            paths,
            settings,
            accounts,
            config=args.config,
            now=time.time(),
            lang=user_language(),
            on_unreadable=lambda name, exc: unreadable.append(f"{name}: {exc}"),
        )
    except CachedStateError as exc:
        raise CliError(str(exc), EXIT_UNAVAILABLE) from None
    if output is None:
        raise CliError(status_feed.NEVER_RAN_HINT, EXIT_NO)
    print(output)
    for line in unreadable:
        _error(line)
    return EXIT_UNAVAILABLE if unreadable else EXIT_OK


def cmd_refresh(args: argparse.Namespace) -> int:
    from tray_app.support.instance import ask_to_refresh, running_pid

    pid = running_pid(app_paths(args).lock_file)
    if pid is None or not ask_to_refresh(pid):
        raise CliError(N_("the tray app is not running; start it with `lensmor-tray`"), EXIT_NO)
    print(user_language().gettext("asked the running app (pid {pid}) to refresh").format(pid=pid))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from tray_app.cli.doctor.main import run_doctor

    return run_doctor(args.config, json_output=args.json)


# -- key -----------------------------------------------------------------------------------


def cmd_key(args: argparse.Namespace) -> int:
    paths = app_paths(args)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        # Without --account the one account is meant (a config with several asks which).
        account = single_account(args, load_config(args)[1]).name
    store = key_store(paths, account)
    _ = user_language().gettext
    if args.key_command == "set":
        return tell_the_running_app(paths, _key_set(store))
    if args.key_command == "show":
        stored = store.load()
        if stored is None:
            raise CliError(
                N_("no API key is set; run `{command}`"),
                EXIT_KEY,
                command=key_set_command(account),
            )
        # The source names ("environment", "keyring", "file") are the same in every language.
        print(
            _("{key} (from {source}: {location})").format(
                key=stored.masked, source=stored.source.value, location=stored.location
            )
        )
        return EXIT_OK
    try:
        removed = store.clear()
    except KeyStoreFailed as exc:
        # Worded by keys/key_store.py (English for now), like InvalidKey.
        raise CliError(N_("the key was not removed: {problem}"), EXIT_USAGE, problem=exc) from None
    if removed:
        print(
            _("removed the key from: {places}").format(
                places=", ".join(source.value for source in removed)
            )
        )
    else:
        print(_("no stored key to remove"))
    if store.environment_overrides:
        _error(_("warning: LENSMOR_API_KEY is still set in the environment and will be used"))
    return tell_the_running_app(paths, EXIT_OK)


def read_key_input(command: str = "lensmor-tray key set") -> str:
    """The key from a hidden prompt, or the first line of stdin that is not blank when it is
    piped (a password manager's copy may start with an empty line)."""
    if sys.stdin is None:
        raise CliError(
            N_("no input: pipe the key in, e.g. `{command} < keyfile`"), 2, command=command
        )
    if sys.stdin.isatty():
        return getpass.getpass(user_language().gettext("Lensmor API key (input hidden): "))
    for _ in range(MAX_KEY_INPUT_LINES):
        # Bounded: `key set < /dev/zero` (or any endless stream) is an error, not a hang that
        # eats memory; anything longer than a key is refused by normalise_key anyway.
        line = sys.stdin.readline(MAX_KEY_INPUT_CHARS)
        if not line or line.strip():
            return line
    return ""


def _key_set(store: KeyStore) -> int:
    _ = user_language().gettext
    text = read_key_input(key_set_command(store.account))
    try:
        key = normalise_key(text)
    except InvalidKey as exc:
        # What was wrong with the key is worded by keys/key_store.py (English for now).
        raise CliError(
            N_("{problem}; paste the key exactly as the Lensmor app showed it"), 2, problem=exc
        ) from None
    if not looks_like_lensmor_key(key):
        _error(_("warning: this does not look like a Lensmor key (they start with uak_ or sk_)"))
    try:
        stored = store.save(key)
    except KeyStoreFailed as exc:
        raise CliError(N_("the key was not saved: {problem}"), EXIT_USAGE, problem=exc) from None
    print(_("saved {key} in the {place}").format(key=stored.masked, place=stored.source.value))
    if store.environment_overrides:
        _error(_("warning: LENSMOR_API_KEY is set in the environment and takes precedence"))
    return EXIT_OK


def cmd_paths(args: argparse.Namespace) -> int:
    paths = app_paths(args)
    _ = user_language().gettext
    rows = [
        (_("config:"), str(paths.config_file)),
        (
            _("key file:"),
            _("{path} (used only without an OS keyring)").format(path=paths.key_file),
        ),
        (_("data:"), str(paths.data_dir)),
        (_("logs:"), str(paths.log_file)),
    ]
    width = max(fmt.display_width(label) for label, _value in rows)
    for label, value in rows:
        print(f"{label}{' ' * (width - fmt.display_width(label))} {value}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from tray_app.app.tray_app import AppOptions, TrayApp

    paths, _settings = load_config(args)  # a broken config stops here with exit 2
    if getattr(args, "demo_without_key", False) and not any(
        key_store(paths, account.name).load() for account in _settings.accounts
    ):
        print(
            user_language().gettext(
                "No API key is configured: starting the demo (see README: 'Give it your key')."
            )
        )
        return cmd_demo(args)  # which sets up logging itself (once: handlers would double)
    configure_logging(args.verbose, paths.log_file)
    options = AppOptions(
        paths=paths, autostart=getattr(args, "autostart", False), pacing=_pacing_profile()
    )
    code = TrayApp(options).run()
    _bounded_exit()
    return code


def _bounded_exit(seconds: float = 10) -> None:
    """The app has stopped and saved its state; Python now joins the remaining non-daemon
    threads (e.g. a library's worker stuck in a system call). A desktop session waits for us
    at logout, so if that takes longer than `seconds`, print every thread's stack (for the
    bug report) and exit anyway."""
    import faulthandler

    faulthandler.dump_traceback_later(seconds, exit=True)


def _pacing_profile() -> PacingProfile:
    # LENSMOR_TRAY_PACING=demo compresses the timing (seconds instead of minutes, a 4 s request
    # deadline) for demos and the end-to-end tests; it never lowers the rate below what the
    # rate-limit headers allow.
    choice = os.environ.get("LENSMOR_TRAY_PACING", "")
    if choice == "demo":
        return DEMO
    if choice not in ("", "production"):
        raise ConfigError("LENSMOR_TRAY_PACING must be 'demo' or 'production'")
    return PRODUCTION


def cmd_demo(args: argparse.Namespace) -> int:
    from tray_app.app.tray_app import TrayApp, demo_options
    from tray_app.demo.demo_accounts import DEMO_ACCOUNTS, demo_runners, simulated_demo_accounts
    from tray_app.demo.server import SimulatedLensmorServer

    paths = app_paths(args)
    configure_logging(args.verbose, paths.log_file)
    # Two simulated accounts with their own keys and stories (issue 12): Work and Personal.
    with SimulatedLensmorServer(accounts=simulated_demo_accounts()) as server:
        runners = demo_runners(server.accounts)
        for runner in runners:
            runner.start()
        names = " and ".join(demo.name for demo in DEMO_ACCOUNTS)
        print(
            f"demo: simulated Lensmor API at {server.url} with the accounts {names}; "
            "a full cycle takes about 2 minutes"
        )
        keys = {demo.name: demo.key for demo in DEMO_ACCOUNTS}
        try:
            code = TrayApp(demo_options(paths, server.url, keys)).run()
        finally:
            for runner in runners:
                runner.stop()
    _bounded_exit()
    return code


def cmd_settings(args: argparse.Namespace) -> int:
    from tray_app.windows.settings_dialog import run_dialog

    return run_dialog(app_paths(args), dict(os.environ))


def cmd_usage(args: argparse.Namespace) -> int:
    from tray_app.windows.usage_window import run_window

    paths = app_paths(args)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        account = args.account or load_config(args)[1].accounts[0].name
    if args.data_dir is not None:
        paths = AppPaths(paths.config_file, args.data_dir, paths.log_dir)
    return run_window(paths, dict(os.environ), account)


def cmd_history(args: argparse.Namespace) -> int:
    from tray_app.cli.history_report import history_json, history_report
    from tray_app.history.store import HistoryStore

    paths = app_paths(args)
    if not 1 <= args.days <= MAX_HISTORY_DAYS:
        raise CliError(N_("--days must be from 1 to {most}"), EXIT_USAGE, most=MAX_HISTORY_DAYS)
    account = DEFAULT_ACCOUNT
    if args.account is not None or paths.config_file.exists():
        account = single_account(args, load_config(args)[1]).name
    history_db = paths.history_db_for(account)
    if not history_db.exists():
        raise CliError(
            N_("no history yet: start the tray app (`lensmor-tray`) and it records changes"),
            EXIT_NO,
        )
    with HistoryStore.open(history_db) as store:
        now = time.time()
        if args.json:
            print(json.dumps(history_json(store, now, None, days=args.days)))
        elif args.csv:
            from tray_app.history.export import write_csv

            try:
                write_csv(sys.stdout, store.records(0), account)
                sys.stdout.flush()
            except BrokenPipeError:
                # `history --csv | head`: the reader has what it wanted. Point stdout at
                # devnull so the flush at exit does not complain a second time.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        elif args.chart:
            from tray_app.history.export import chart_text
            from tray_app.history.usage_data import load_series

            series = load_series(store, now, args.days)
            print(chart_text(series, lang=user_language()), end="")
        else:
            print(history_report(store, now, None, days=args.days, lang=user_language()))
    return EXIT_OK


def cmd_account(args: argparse.Namespace) -> int:
    paths, settings = load_config(args)
    commands = AccountCommands(
        paths=paths,
        settings=settings,
        read_key=lambda: read_key_input(account_add_command(args.name)),
        test_key=_fetch_with_key,
        warn=_error,
        lang=user_language(),
    )
    code = commands.run(args)
    return code if args.account_command == "list" else tell_the_running_app(paths, code)


def tell_the_running_app(paths: AppPaths, code: int) -> int:
    """After a command changed the config or a key (`code` 0): the running tray app reloads
    them now, not at its next start, and the user is told so in one line."""
    from tray_app.support.instance import ask_to_reload

    pid = ask_to_reload(paths.lock_file) if code == EXIT_OK else None
    if pid is not None:
        message = user_language().gettext(
            "asked the running app (pid {pid}) to reload the config and keys"
        )
        print(message.format(pid=pid))
    return code


def cmd_autostart(args: argparse.Namespace) -> int:
    from tray_app.autostart import autostart_for, resolve_launch_command

    autostart = autostart_for(
        environ=os.environ, home=Path.home(), launcher=resolve_launch_command()
    )
    if args.action == "enable":
        status = autostart.enable()
    elif args.action == "disable":
        status = autostart.disable()
    else:
        status = autostart.status()
    _ = user_language().gettext
    if status.enabled:
        print(_("start at login: enabled ({location})").format(location=status.location))
    else:
        print(_("start at login: not enabled ({location})").format(location=status.location))
    if status.detail:
        print(status.detail)
    if args.action == "enable" and not status.enabled:
        return EXIT_UNAVAILABLE
    return EXIT_OK if status.enabled or args.action == "disable" else EXIT_NO
