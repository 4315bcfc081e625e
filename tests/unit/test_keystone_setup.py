"""The operator's Keystone commands survive any generated password."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from phr_share.stack.keystone import USER, Keystone
from phr_share.stack.layout import Layout, Secrets


def _user_create_parser() -> argparse.ArgumentParser:
    # The shape of `openstack user create` (argparse, like the real command).
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--or-show", action="store_true")
    parser.add_argument("--domain")
    parser.add_argument("--password")
    parser.add_argument("name")
    return parser


@pytest.mark.parametrize("password", ["-Gjmpsl-JHZlRy9oaHoKGvSxZq", "--x", "plain_secret"])
def test_every_user_is_created_with_its_own_password(tmp_path: Path, password: str) -> None:
    secrets = Secrets(
        hash_suffix="h",
        swift_key="k",
        fernet_key="f",
        keystone_admin="a",
        keystone_swift=password,
        keystone_phr=password[::-1],
    )
    keystone = Keystone(Layout(tmp_path), tmp_path, "127.0.0.1", 5000, secrets)
    created = {}
    for line in keystone._identity_script().splitlines():
        argv = shlex.split(line)
        if argv[:2] == ["user", "create"]:
            parsed = _user_create_parser().parse_args(argv[2:])
            created[parsed.name] = parsed.password
    assert created == {"swift": password, USER: password[::-1]}
