"""gunicorn settings: `gunicorn config.wsgi -c config/gunicorn_conf.py` (bind, workers: command line).

X1: gunicorn writes its own access log (the request line with its full query string, the referer,
the browser) and error log, outside Django's logging. Every line goes through
privacy.redaction.redact, so a mobile, ID or bank-card number searched for never reaches the log
in full, percent-encoded or not.
"""
import logging

from gunicorn.glogging import Logger

accesslog = "-"  # stdout; the process manager collects it
errorlog = "-"


class _RedactingFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self._inner = inner or logging.Formatter()

    def format(self, record):
        from privacy.redaction import redact

        return redact(self._inner.format(record))


class RedactingLogger(Logger):
    """gunicorn's logger, masking identifiers in every access and error line."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler.formatter, _RedactingFormatter):
                    handler.setFormatter(_RedactingFormatter(handler.formatter))


logger_class = RedactingLogger
