from __future__ import annotations

from tests.api import Api
from tests.verticals.clinic.factories import CREATE_CLINIC, clinic_input


async def test_create_clinic_appointment_round_trip(api: Api) -> None:
    created = await api.data(CREATE_CLINIC, {"input": clinic_input()})
    payload = created["createClinicAppointment"]
    assert payload["errors"] == []
    booking = payload["booking"]
    assert booking["__typename"] == "ClinicAppointment"
    assert booking["timeline"]["edges"][0]["node"]["type"] == "CREATED"
