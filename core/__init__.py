"""Generic infrastructure every app may use; it imports no app of ours.

- `errors`: the domain-error base classes and the one place they become HTTP responses.
- `bulk_rows`: COPY-based bulk inserts with ids allocated up front.
- `process_cache`: a process-local cache kept honest by a Redis generation counter (compare-and-set).
- `tasking`: Celery task bases that carry the enterprise schema and fail loudly without it.
"""
