"""Signals orgdata sends; other apps subscribe. orgdata imports none of its subscribers."""
import django.dispatch

# E6 → C9: a third-party application was switched on or off for some people.
# Sent by orgdata.services.applications.switch_application inside its transaction, as
#   send(sender=Application, application_code=str, enabled=bool, account_ids=[int, ...])
# where account_ids are the accounts whose effective state changed. The consent app subscribes and
# shares data with the provider only for people who consented (and stops sharing on "off"). A
# receiver that raises rolls the switch back.
third_party_application_switched = django.dispatch.Signal()
