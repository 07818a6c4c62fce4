"""Signals the privacy core sends; other apps subscribe (e.g. audit records each reveal)."""
import django.dispatch

# Sent whenever a sensitive value is shown unmasked to someone.
# kwargs: actor (the user who saw it), model (model class), object_id, field (field name);
# a bulk reveal (an unmasked export) sends object_id=None and count=<rows>.
# Never pass the value itself: receivers must not be able to log it.
sensitive_value_revealed = django.dispatch.Signal()
