class SmsError(Exception):
    pass


class BaseSmsBackend:
    """Sends one message. `list_messages()` is offered only by development back ends."""

    def send(self, message) -> None:
        raise NotImplementedError
