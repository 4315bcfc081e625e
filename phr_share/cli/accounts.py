"""Commands on accounts (``user add|token|password|disable|mfa-reset``) and how commands
learn who is asking.

A command that reads a patient's data acts as an account, proven by its password
(prompted, or one line on standard input) and, for an account with a second factor, its
current code (prompted next, or the following line), or by an API token in a file: the
decision point then decides for that account exactly as it would on the web.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from phr_share import sharing
from phr_share.cli.common import EX_NOINPUT, FileError
from phr_share.consent import Principal, Role
from phr_share.errors import AccessDenied
from phr_share.models import Reason
from phr_share.settings import Settings
from phr_share.sharing import Account, Services, open_services

__all__ = ["add_account_commands", "add_login_options", "login"]

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def add_login_options(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """``--as USERNAME`` (password prompted or on stdin) or ``--token-file FILE``."""
    who = parser.add_mutually_exclusive_group(required=required)
    who.add_argument("--as", dest="username", metavar="USERNAME", help="act as this account")
    who.add_argument("--token-file", type=Path, metavar="FILE", help="an API token, in a file")


def _secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


def login(svc: Services, args: argparse.Namespace) -> Principal:
    """The principal the command acts as; raises Unauthenticated, TooManyAttempts, and
    AccessDenied (mfa-required) for an account that must set up a second factor first."""
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise FileError(f"{args.token_file}: cannot read the token file", EX_NOINPUT) from exc
        return _usable(sharing.authenticate_token(svc, token))
    account = sharing.authenticate(svc, args.username, _secret(f"password for {args.username}: "))
    if account.mfa:
        pending = sharing.start_second_step(svc, account)
        code = _secret(f"code for {args.username} (authenticator app or recovery code): ")
        account = sharing.finish_second_step(svc, pending, code)
    return _usable(account)


def _usable(account: Account) -> Principal:
    if account.needs_mfa_setup:
        raise AccessDenied(
            Reason.MFA_REQUIRED,
            "this account signs in with a second factor: set it up on the web app's "
            "Account page first",
        )
    return account.principal


def add_account_commands(commands: Commands) -> None:
    """Register ``user add``, ``token``, ``password``, ``disable`` and ``mfa-reset``."""
    user = commands.add_parser("user", help="create accounts and API tokens")
    actions = user.add_subparsers(title="actions", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="create an account (password prompted or on stdin)")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=[r.value for r in Role if r is not Role.SYSTEM]
    )
    add.add_argument("--name", default="", help="display name")
    add.add_argument(
        "--email", default="", help="where notices and forgotten-password links are mailed"
    )
    add.add_argument(
        "--patient", type=uuid.UUID, help="a patient account's global id (default: a new one)"
    )
    add.add_argument("--no-password", action="store_true", help="token access only, no login")
    add.set_defaults(handler=_add)

    token = actions.add_parser("token", help="issue an API token for an account")
    token.add_argument("--name", required=True, help="what the token is for")
    token.add_argument("--days", type=int, default=90, help="lifetime in days (default 90)")
    add_login_options(token)
    token.set_defaults(handler=_token)

    password = actions.add_parser(
        "password",
        help="set an account's password (it was forgotten; prompted or on stdin); "
        "its browsers are signed out",
    )
    password.add_argument("account", metavar="USERNAME", help="the account")
    password.set_defaults(handler=_password)

    disable = actions.add_parser(
        "disable", help="switch an account off: sign-ins, sessions and tokens stop (admins)"
    )
    disable.add_argument("account", metavar="USERNAME", help="the account to disable")
    add_login_options(disable)
    disable.set_defaults(handler=_disable)

    reset = actions.add_parser(
        "mfa-reset",
        help="remove an account's lost second factor: it is signed out and notified, and "
        "sets up a new one at its next sign-in (an admin, or the operator without --as)",
    )
    reset.add_argument("account", metavar="USERNAME", help="the account")
    add_login_options(reset, required=False)
    reset.set_defaults(handler=_mfa_reset)


def _add(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    password = None if args.no_password else _secret("new password: ")
    account = sharing.create_user(
        svc,
        sharing.OPERATOR,
        args.username,
        Role(args.role),
        display_name=args.name,
        password=password,
        patient_id=args.patient,
        email=args.email,
    )
    print(f"account {account.username} ({account.role.value}) id {account.id}", file=out)
    if account.patient_id is not None:
        print(f"patient id {account.patient_id}", file=out)
    return 0


def _token(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    principal = login(svc, args)
    issued = sharing.issue_token(svc, principal, args.name, ttl=timedelta(days=args.days))
    print(issued.token, file=out)
    print(
        f"token {issued.id} expires {issued.expires_at.isoformat(timespec='seconds')}; "
        "it is shown only this once",
        file=sys.stderr,
    )
    return 0


def _password(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    account = sharing.find_account(svc, sharing.OPERATOR, username=args.account)
    ended = sharing.reset_password(
        svc, sharing.OPERATOR, account.username, _secret("new password: ")
    )
    print(f"password of {account.username} set; {ended} browser session(s) signed out", file=out)
    return 0


def _disable(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    admin = login(svc, args)
    account = sharing.find_account(svc, admin, username=args.account)
    sharing.disable_user(svc, admin, account.id)
    print(f"account {account.username} disabled: signed out everywhere, tokens refused", file=out)
    return 0


def _mfa_reset(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    svc = open_services(settings)
    acting = login(svc, args) if args.username or args.token_file else sharing.OPERATOR
    account = sharing.find_account(svc, acting, username=args.account)
    ended = sharing.reset_mfa(svc, acting, account.id)
    print(
        f"second factor of {account.username} removed; {ended} browser session(s) signed out; "
        "it sets up a new one at its next sign-in",
        file=out,
    )
    return 0
