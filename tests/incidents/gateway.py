"""The SMS provider, an outside system, as a test stand-in: it refuses every message to the numbers
in FAILING (as a provider answering 500 would) and hands the rest to the local outbox."""
from accounts.sms import LocalOutboxBackend, SmsNotSent

FAILING: set[str] = set()


class FlakyProvider:
    def send(self, *, person, mobile: str, message_kind: str, params: dict) -> None:
        if mobile in FAILING:
            raise SmsNotSent("provider answered 500")
        LocalOutboxBackend().send(person=person, mobile=mobile, message_kind=message_kind, params=params)
