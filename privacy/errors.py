"""The refusals of the privacy core (privacy.crypto): a value that cannot be decrypted."""


class KeyDestroyed(Exception):
    """The person's data key was destroyed: their values are gone for good (R4)."""


class UnreadableValue(Exception):
    """A stored value failed authentication: tampered, moved, or encrypted under an unknown key."""
