"""Every request to /slack/events is signature-checked: forged or replayed ones get 401."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from tests.adapters.slack.served import SIGNING_SECRET, ServedBot

FORM = urlencode({"command": "/venice", "text": "balance", "team_id": "T0FAKE", "user_id": "U1"})


def test_a_correctly_signed_request_is_answered(served: ServedBot):
    assert served.post(FORM).status_code == 200


def test_a_forged_signature_gets_401(served: ServedBot):
    before = served.fake.calls  # serve's own start-up check (auth.test)
    response = served.post(FORM, secret=SIGNING_SECRET + "-not")
    assert response.status_code == 401
    assert served.fake.calls == before


def test_a_missing_signature_gets_401(served: ServedBot):
    response = served.post(FORM, signature="v0=")
    assert response.status_code == 401


def test_a_ten_minute_old_timestamp_gets_401_even_when_signed(served: ServedBot):
    before = served.fake.calls
    response = served.post(FORM, timestamp=int(time.time()) - 600)
    assert response.status_code == 401
    assert served.fake.calls == before
