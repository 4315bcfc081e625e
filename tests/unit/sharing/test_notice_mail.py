"""Notices by e-mail: a reader with an address is mailed after the commit, the mail holds
no patient data, and a mail that cannot be sent never fails what made the notice."""

from __future__ import annotations

import dataclasses

import pytest

from phr_share.consent import Role
from phr_share.db import Notification
from phr_share.mail import NOTICE_SUBJECT
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Account,
    Services,
    accept_care,
    create_user,
    grant_access,
    invite_clinician,
    notifications,
    save_readings,
)
from phr_share.sharing.notices import notify
from phr_share.stack.processes import free_port
from tests.unit.sharing.conftest import Sink

PASSWORD = "correct horse battery"


def _patient_in_care(services: Services) -> tuple[Account, Account]:
    """A patient (named, with no address) sharing vital signs with Dr Kim (who has one)."""
    patient = create_user(
        services, OPERATOR, "omar", Role.PATIENT, password=PASSWORD, display_name="Omar Haddad"
    )
    kim = create_user(
        services, OPERATOR, "dr.kim", Role.DOCTOR, password=PASSWORD, email="kim@demo.phr.invalid"
    )
    accept_care(services, kim.principal, invite_clinician(services, patient.principal, kim.id))
    grant_access(services, patient.principal, kim.id, {SegmentKind.PHYSICAL_SIGNS})
    return patient, kim


def test_a_danger_notice_mails_the_doctor_without_the_reading_or_the_patient(
    services: Services, sink: Sink
) -> None:
    patient, _ = _patient_in_care(services)
    saved = save_readings(services, patient.principal, {"systolic": "185", "diastolic": "125"})
    assert saved.danger
    [mail] = sink.messages()  # the patient has no address: only the doctor is mailed
    assert sink.recipients == [["kim@demo.phr.invalid"]]
    assert mail["Subject"] == NOTICE_SUBJECT
    body = mail.get_content()
    assert "https://phr.example.org/" in body
    for secret in ("185", "125", "Omar", "Haddad", "omar", str(patient.patient_id), "danger"):
        assert secret not in body
        assert secret not in str(mail["Subject"])


def test_a_server_that_fails_never_fails_the_reading_or_its_notice(services: Services) -> None:
    services.settings = dataclasses.replace(
        services.settings, smtp_url=f"smtp://127.0.0.1:{free_port('127.0.0.1')}"
    )
    patient, kim = _patient_in_care(services)
    saved = save_readings(services, patient.principal, {"systolic": "185", "diastolic": "125"})
    assert saved.created
    assert saved.danger
    services.mailer().drain()
    assert services.mailer().failed == 1
    assert [n.topic for n in notifications(services, kim.principal)] == ["danger"]


def test_a_notice_rolled_back_mails_no_one(services: Services, sink: Sink) -> None:
    _, kim = _patient_in_care(services)

    def failing_action() -> None:
        with services.db.session() as session:
            notify(session, [kim.id], "note", "document:1", services.clock())
            session.flush()
            raise RuntimeError("the action failed after the notice was added")

    with pytest.raises(RuntimeError):
        failing_action()
    assert sink.messages() == []
    with services.db.session() as session:
        assert session.query(Notification).count() == 0
