"""C11 through the console, the public page and the app: a person chosen as employee of the month
is shown on the enterprise's public board only with their separate, explicit consent; withdrawing
takes them off at the next request; each showing under a consent is in their sharing ledger."""
from __future__ import annotations

import pytest
from django.test import Client

from consent.models import BOARD_PURPOSE
from tests.consent.factories import signed_in
from tests.orgdata.conftest import in_a, manager  # noqa: F401
from tests.orgdata.factories import make_employee


@pytest.mark.promise("C11")
def test_the_board_shows_a_person_only_while_they_consent(in_a, manager, console_as):
    chosen = make_employee(name="周九").account
    other = make_employee(name="吴十").account
    console = console_as(manager)
    for person in (chosen, other):
        assert console.post("/console/privacy/board/", {"person": str(person.pk)}).status_code == 302
    public = Client(HTTP_HOST=in_a.host)

    def board() -> str:
        answer = public.get("/board/")
        assert answer.status_code == 200 and "no-cache" in answer["Cache-Control"]
        return answer.content.decode()

    assert "周九" not in board() and "吴十" not in board()  # chosen, but nobody consented
    app = signed_in(in_a, chosen)
    purpose = {p["code"]: p for p in app.get("/api/v1/consent/purposes").json()}[BOARD_PURPOSE]
    assert purpose["kind"] == "disclosure"
    assert app.grant(BOARD_PURPOSE, explicit=False).status_code == 400  # separate and explicit
    assert app.grant(BOARD_PURPOSE).status_code == 201
    assert "周九" in board() and "吴十" not in board()
    ledger = app.get("/api/v1/consent/sharing").json()
    assert [(d["recipient"], d["occasion"]) for d in ledger] == [(None, "public_disclosure")]

    assert app.withdraw(BOARD_PURPOSE).status_code in (200, 201)
    assert "周九" not in board()
