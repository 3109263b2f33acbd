"""The current request's id, for logs and audit records."""

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
