"""What the erasure engine announces to the apps above it (it may not import them: tests/architecture)."""
import django.dispatch

# Sent by the engine's `tell_the_person` step (erasure.services.STEPS), inside that step's
# transaction, for every job: after every way in is closed and the recipients are told (their
# notices exist), before the person's rows, their e-mail address among them, are erased. kwargs:
# `job` (the ErasureJob) and `person` (the account still as it is). A receiver must be idempotent: a
# job killed half-way runs the step again. rights connects two (RightsConfig.ready): the person's
# requests still open are closed, and a person erased at their own request is sent the certificate.
erasing_person = django.dispatch.Signal()
