"""Celery tasks of rights requests: thin wrappers around rights.services."""
