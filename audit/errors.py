"""The refusals of the audit app."""


class LockOrderViolation(RuntimeError):
    """A transaction asked for a person's row after it had locked the audit-chain head."""
