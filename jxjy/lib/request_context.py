"""The current request and its id, for logs and audit records (set by jxjy.lib.middleware.RequestIdMiddleware).

`current_request` lets an audit record written by a signal handler — a user's role changed through any code path —
name who did it and from where, without every caller passing the request down."""

import contextvars

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
current_request: contextvars.ContextVar = contextvars.ContextVar("current_request", default=None)
