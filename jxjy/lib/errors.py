"""One error a person can act on: `UserError(message, status, field)`.

A service raises it with a sentence in plain Chinese; a view shows `message` (on `field` of its form when named) and
answers with `status`. Subclasses only name a case callers tell apart (`IllegalMove`); they add no behaviour."""


class UserError(Exception):
    def __init__(self, message: str, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field

    def __str__(self):
        return self.message


def show_on(form, error: UserError) -> None:
    """Put `error` next to its field of `form` — or above the form when it names no field the form has."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
