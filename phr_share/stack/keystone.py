"""A real Keystone v3 for the local stack, and the Swift proxy that trusts it.

Keystone runs from its own virtual environment (``.venv-keystone``, made by
``make keystone``): SQLite, Fernet tokens, served by gunicorn on loopback. The Swift
service user, PHR Share's project and user are registered with the ``openstack``
command, as an operator would. The proxy of this flavour runs from that venv too, since
keystonemiddleware (authtoken) must be importable beside swift.
"""

from __future__ import annotations

import getpass
import grp
import json
import os
import shlex
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phr_share.errors import ConfigurationError, StoreUnavailable
from phr_share.keyfile import PRIVATE_UMASK, private_append, private_dir
from phr_share.stack.layout import Layout, Secrets, render, write_private
from phr_share.stack.processes import Service, child_environment
from phr_share.stack.swift_aio import proxy_config

__all__ = ["PROJECT", "USER", "Keystone", "find_venv"]

VENV_NAME = ".venv-keystone"
PROJECT = "phr-share"
USER = "phr"
# The role Swift's keystoneauth lists in operator_roles (deploy/swift/...keystone...).
_OPERATOR_ROLE = "swiftoperator"
_REGION = "RegionOne"
_INTERFACES = ("public", "internal", "admin")
_NEW_USER = ("user", "create", "--or-show", "--domain", "default")


def find_venv() -> Path | None:
    """``.venv-keystone`` beside the source tree or beside the running venv, if built."""
    candidates = (
        Path(__file__).resolve().parents[2] / VENV_NAME,
        Path(sys.prefix).resolve().parent / VENV_NAME,
    )
    return next((c for c in candidates if (c / "bin" / "keystone-manage").is_file()), None)


@dataclass(frozen=True, slots=True)
class Keystone:
    """Keystone's config, set-up steps, service, registrations and the proxy behind it."""

    layout: Layout
    venv: Path
    host: str
    port: int
    secrets: Secrets

    @classmethod
    def create(cls, layout: Layout, host: str, port: int, secrets: Secrets) -> Keystone:
        """Locate .venv-keystone; ConfigurationError when `make keystone` has not run."""
        venv = find_venv()
        if venv is None:
            raise ConfigurationError(
                f"Keystone is not installed: run `make keystone` ({VENV_NAME})"
            )
        return cls(layout, venv, host, port, secrets)

    @property
    def url(self) -> str:
        """The Identity v3 endpoint."""
        return f"http://{self.host}:{self.port}/v3"

    def _bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def _run(
        self, step: str, argv: list[str], env: dict[str, str], stdin: str | None = None
    ) -> str:
        """Run one set-up command; its output goes to the set-up log, never the terminal."""
        log = self.layout.logs / "keystone-setup.log"
        try:
            done = subprocess.run(  # noqa: S603 - argv is built here, secrets go by env or stdin
                argv,
                input=stdin or "",
                capture_output=True,
                text=True,
                env=child_environment(env),
                timeout=120,
                check=False,
                umask=PRIVATE_UMASK,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise StoreUnavailable(f"Keystone set-up failed at {step} ({argv[0]})") from error
        with private_append(log) as out:
            out.write(f"== {step}: exit {done.returncode}\n{done.stdout}{done.stderr}\n".encode())
        # `openstack` reading commands from stdin exits 1 whatever happened: such a batch
        # is judged by verify() instead.
        if done.returncode != 0 and stdin is None:
            raise StoreUnavailable(f"Keystone set-up failed at {step}; see {log}")
        return done.stdout

    def setup(self) -> None:
        """Write the config; on first use create the database and keys; bootstrap admin."""
        directory = self.layout.keystone
        private_dir(directory)
        conf = directory / "keystone.conf"
        values = {
            "log": self.layout.logs / "keystone.log",
            "database": directory / "keystone.db",
            "fernet": directory / "fernet-keys",
            "credential": directory / "credential-keys",
        }
        render("deploy/keystone", "keystone.conf-sample", conf, values)
        wsgi = {"config": repr(str(conf))}
        render("deploy/keystone", "keystone_wsgi.py-sample", directory / "keystone_wsgi.py", wsgi)
        manage = [self._bin("keystone-manage"), "--config-file", str(conf)]
        owner = ["--keystone-user", getpass.getuser(), "--keystone-group", _group()]
        marker = directory / "bootstrapped"
        if not marker.exists():
            self._run("db_sync", [*manage, "db_sync"], {})
            self._run("fernet_setup", [*manage, "fernet_setup", *owner], {})
            self._run("credential_setup", [*manage, "credential_setup", *owner], {})
        elif marker.read_text(encoding="utf-8") == self.url:
            return
        self._bootstrap(manage)
        write_private(marker, self.url)

    def _bootstrap(self, manage: list[str]) -> None:
        """The admin user and project, the roles, and the identity endpoints (updated)."""
        urls = [f"--bootstrap-{i}-url={self.url}" for i in _INTERFACES]
        argv = [*manage, "bootstrap", *urls, f"--bootstrap-region-id={_REGION}"]
        self._run("bootstrap", argv, {"OS_BOOTSTRAP_PASSWORD": self.secrets.keystone_admin})

    def service(self) -> Service:
        """gunicorn serving Keystone's WSGI application."""
        argv = [
            self._bin("gunicorn"),
            f"--bind={self.host}:{self.port}",
            "--workers=2",
            "--timeout=60",
            "--no-control-socket",
            "--access-logfile=-",
            f"--chdir={self.layout.keystone}",
            "keystone_wsgi:application",
        ]
        log = str(self.layout.logs / "keystone-gunicorn.log")
        return Service("keystone", argv, self.host, self.port, log, "/v3")

    def proxy(self, port: int) -> Service:
        """The Swift proxy with authtoken + keystoneauth, run from .venv-keystone."""
        values = {
            "host": self.host,
            "port": port,
            "keystone": f"http://{self.host}:{self.port}",
            "service_password": self.secrets.keystone_swift,
        }
        conf = proxy_config(self.layout, "proxy-server-keystone.conf-sample", values)
        argv = [self._bin("swift-proxy-server"), str(conf), "--verbose"]
        log = str(self.layout.logs / "proxy-server.log")
        return Service("swift-proxy", argv, self.host, port, log, "/healthcheck")

    def _openstack(self, step: str, *argv: str, stdin: str | None = None) -> str:
        """The openstack command as Keystone's admin (credentials by environment)."""
        env = {
            "OS_AUTH_URL": self.url,
            "OS_IDENTITY_API_VERSION": "3",
            "OS_USERNAME": "admin",
            "OS_PASSWORD": self.secrets.keystone_admin,
            "OS_PROJECT_NAME": "admin",
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_INTERFACE": "public",
        }
        return self._run(step, [self._bin("openstack"), *argv], env, stdin)

    def register(self, proxy_port: int) -> None:
        """Swift's service user and catalog entry, PHR Share's project and user (idempotent)."""
        self._openstack("register users", stdin=self._identity_script())
        storage_url = f"http://{self.host}:{proxy_port}/v1/AUTH_%(project_id)s"
        service_id = self._object_store_service()
        listed = self._openstack(
            "list endpoints", "endpoint", "list", "--service", service_id, "-f", "json"
        )
        existing = {e["Interface"]: e for e in json.loads(listed or "[]")}
        commands = []
        for interface in _INTERFACES:
            found = existing.get(interface)
            if found is None:
                create = ["endpoint", "create", "--region", _REGION, service_id, interface]
                commands.append([*create, storage_url])
            elif found["URL"] != storage_url:
                commands.append(["endpoint", "set", "--url", storage_url, found["ID"]])
        if commands:
            script = "".join(shlex.join(c) + "\n" for c in commands)
            self._openstack("register endpoints", stdin=script)

    def verify(self, proxy_port: int) -> None:
        """Authenticate as PHR Share's user and reach its account through the proxy."""
        expected = f"http://{self.host}:{proxy_port}/v1/AUTH_"
        try:
            token, catalog = self._token()
            storage_url = _public_url(catalog, "object-store")
            if not storage_url.startswith(expected):
                raise StoreUnavailable(f"Keystone lists object-store at {storage_url}")
            # Both URLs are http on our own loopback address (checked just above).
            head = urllib.request.Request(storage_url, method="HEAD")  # noqa: S310
            head.add_header("X-Auth-Token", token)
            with urllib.request.urlopen(head, timeout=10):  # noqa: S310
                pass
        except (OSError, ValueError, KeyError, StoreUnavailable) as error:
            log = self.layout.logs / "keystone-setup.log"
            raise StoreUnavailable(
                f"Swift behind Keystone does not work ({type(error).__name__}); see {log} "
                f"and {self.layout.logs / 'proxy-server.log'}"
            ) from error

    def _token(self) -> tuple[str, list[dict[str, Any]]]:
        """A project-scoped token of user phr, and the service catalog that came with it."""
        domain = {"name": "Default"}
        user = {"name": USER, "domain": domain, "password": self.secrets.keystone_phr}
        auth = {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": {"name": PROJECT, "domain": domain}},
        }
        request = urllib.request.Request(  # noqa: S310 - http on our loopback address
            f"{self.url}/auth/tokens",
            data=json.dumps({"auth": auth}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            token = str(reply.headers["X-Subject-Token"])
            catalog: list[dict[str, Any]] = json.load(reply)["token"]["catalog"]
        return token, catalog

    def _identity_script(self) -> str:
        """The operator's commands, one per line, read by one `openstack` process."""
        commands = [
            ["project", "create", "--or-show", "--domain", "default", "service"],
            # --password=VALUE: a generated password may begin with "-", which the
            # command would otherwise take for an option (and create no user).
            [*_NEW_USER, f"--password={self.secrets.keystone_swift}", "swift"],
            # The service role lets authtoken validate users' tokens.
            ["role", "add", "--project", "service", "--user", "swift", "service"],
            ["project", "create", "--or-show", "--domain", "default", PROJECT],
            ["role", "create", "--or-show", _OPERATOR_ROLE],
            [*_NEW_USER, f"--password={self.secrets.keystone_phr}", USER],
            ["role", "add", "--project", PROJECT, "--user", USER, _OPERATOR_ROLE],
        ]
        return "".join(shlex.join(c) + "\n" for c in commands)

    def _object_store_service(self) -> str:
        """The id of the object-store service in the catalog, created when missing."""
        listed = json.loads(self._openstack("list services", "service", "list", "-f", "json"))
        for service in listed:
            if service.get("Type") == "object-store":
                return str(service["ID"])
        created = self._openstack(
            "create service", "service", "create", "--name", "swift", "object-store", "-f", "json"
        )
        return str(json.loads(created)["id"])

    def env(self) -> dict[str, str]:
        """The PHR_SWIFT_* settings for Keystone v3."""
        return {
            "PHR_SWIFT_AUTH_URL": self.url,
            "PHR_SWIFT_AUTH_VERSION": "3",
            "PHR_SWIFT_USER": USER,
            "PHR_SWIFT_KEY": self.secrets.keystone_phr,
            "PHR_SWIFT_PROJECT": PROJECT,
            "PHR_SWIFT_USER_DOMAIN": "Default",
            "PHR_SWIFT_PROJECT_DOMAIN": "Default",
        }


def _public_url(catalog: list[dict[str, Any]], kind: str) -> str:
    """The public endpoint of a service type in a token's catalog."""
    for service in catalog:
        if service.get("type") == kind:
            for endpoint in service.get("endpoints", []):
                if endpoint.get("interface") == "public":
                    return str(endpoint["url"])
    raise KeyError(kind)


def _group() -> str:
    return grp.getgrgid(os.getgid()).gr_name
