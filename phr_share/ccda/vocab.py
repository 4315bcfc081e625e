"""Identifiers and code systems: HL7's, and the arcs PHR Share uses under its own OID.

PHR Share's OID (``models.PHR_OID``) is UUID-derived (``2.25.<uuid as integer>``,
ITU-T X.667), so it needs no registration and collides with nothing. Arc 5 is used by
the de-identifier for replaced instance identifiers.
"""

from __future__ import annotations

from phr_share.models import LOINC, PHR_OID, SNOMED, InstanceId

__all__ = [
    "BODY_MEASURES_TEMPLATE",
    "CUSTODIAN_ID_ROOT",
    "LOCAL_CODES",
    "LOINC",
    "NOTE_TEMPLATE",
    "PATIENT_ID_ROOT",
    "PHR_OID",
    "READINGS_TEMPLATE",
    "ROLE_CODE",
    "SNOMED",
    "patient_instance_id",
]

BODY_MEASURES_TEMPLATE = f"{PHR_OID}.1.1"  # a vital-signs section holding body measures only
READINGS_TEMPLATE = f"{PHR_OID}.1.2"  # a document built from the home readings form
NOTE_TEMPLATE = f"{PHR_OID}.1.3"  # a clinician's note or order written back in PHR Share
LOCAL_CODES = f"{PHR_OID}.2"  # concepts no standard code system has (mood scale, diet note)
PATIENT_ID_ROOT = f"{PHR_OID}.3"  # extension: the patient's global id
CUSTODIAN_ID_ROOT = f"{PHR_OID}.4"  # PHR Share as the custodian of patient-made documents

ROLE_CODE = "2.16.840.1.113883.5.111"
GENDER = "2.16.840.1.113883.5.1"
CONFIDENTIALITY = "2.16.840.1.113883.5.25"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def patient_instance_id(patient_id: object) -> InstanceId:
    """The CDA identifier that names a patient by global id and nothing else."""
    return InstanceId(PATIENT_ID_ROOT, str(patient_id))
