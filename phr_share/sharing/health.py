"""Readiness: whether each thing the site needs answers, each within a short time.

The probes are the components' own ``check()``; they run side by side, and one that
has not answered within the timeout counts as failed, so a hung endpoint cannot hold a
load balancer's probe. A failure is told by its error code only, never its message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from phr_share.errors import PhrShareError
from phr_share.sharing.services import Services

__all__ = [
    "READY_TIMEOUT",
    "Check",
    "Probe",
    "component_health",
    "queue_depths",
    "readiness",
    "readiness_probes",
    "run_probes",
]

READY_TIMEOUT = 2.0  # seconds each probe may take


@dataclass(frozen=True, slots=True)
class Check:
    """One component's health: ``ok`` or the short reason it failed (an error code)."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Probe:
    """A named check: returns when the component answers, raises otherwise."""

    name: str
    check: Callable[[], None]


def readiness_probes(svc: Services) -> list[Probe]:
    """What the site cannot serve without: the database, Swift and S3.

    A task broker joins the list once the site has one (and a setting naming it).
    """
    return [
        Probe("database", svc.db.check),
        Probe("swift", svc.private.check),
        Probe("s3", svc.public.check),
    ]


def readiness(svc: Services, timeout: float = READY_TIMEOUT) -> list[Check]:
    """Each readiness probe's outcome; touches no one's data and needs no principal."""
    return run_probes(readiness_probes(svc), timeout)


def component_health(svc: Services, timeout: float = READY_TIMEOUT) -> list[Check]:
    """The readiness probes and the key store's (KMS, when it is used): the operator's view."""
    return run_probes([*readiness_probes(svc), Probe("keystore", svc.keystore.check)], timeout)


def run_probes(probes: Sequence[Probe], timeout: float = READY_TIMEOUT) -> list[Check]:
    """Run the probes side by side; one not done within ``timeout`` seconds failed."""
    pool = ThreadPoolExecutor(max(1, len(probes)), "phr-probe")
    try:
        futures = [pool.submit(probe.check) for probe in probes]
        wait(futures, timeout)
    finally:
        # A probe still hanging is left to end on its own: the answer does not wait.
        pool.shutdown(wait=False, cancel_futures=True)
    checks = []
    for probe, future in zip(probes, futures, strict=True):
        if not future.done():
            checks.append(Check(probe.name, False, "timeout"))
            continue
        error = future.exception()
        if error is None:
            checks.append(Check(probe.name, True, "ok"))
        elif isinstance(error, PhrShareError):
            checks.append(Check(probe.name, False, error.code))
        else:
            checks.append(Check(probe.name, False, "internal"))
    return checks


def queue_depths(svc: Services) -> dict[str, int]:
    """The work waiting in each background queue: mails to send (no task broker yet)."""
    return {"mail": svc.mail_queued()}
