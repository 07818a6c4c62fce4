"""What orgdata announces to the apps above it (it may not import them: tests/architecture)."""
import django.dispatch

# M2: real-name data (a date of birth or a resident ID number an administrator, an import or the
# person wrote) shows that people are minors. Sent by orgdata.services.minors inside the
# transaction that found them. kwargs: `person_ids` (their accounts), `is_child` (True: under
# 14, whose information is deleted as soon as found; False: 14 to 17, a case to verify) and
# `account_disabled` (M1: an edit stated 14 or 15 and the accounts were disabled; a dismissed case
# enables the account again). The
# erasure app connects the receiver (ErasureConfig.ready): it opens the MinorCase and, for a
# child, erases the person at once. orgdata refuses to act when nothing is connected.
minor_found = django.dispatch.Signal()
