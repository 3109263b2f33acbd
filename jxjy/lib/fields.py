"""Model fields for sensitive personal information."""

import re

from django.db import models

from . import crypto

_TOKEN = re.compile(r"v[0-9]+:[A-Za-z0-9+/]+=*")


class EncryptedTextField(models.TextField):
    """Stores `crypto.encrypt(value, purpose)`; reads back plaintext. Not searchable: pair it
    with a blind-index column for lookups."""

    def __init__(self, *args, purpose: str, **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.purpose)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, self.purpose)

    def value_to_string(self, obj):
        # Serialised copies (dumpdata, fixtures, backups) keep the ciphertext too.
        value = self.value_from_object(obj)
        return crypto.encrypt(value, self.purpose) if value else value

    def to_python(self, value):
        if isinstance(value, str) and _TOKEN.fullmatch(value):
            return crypto.decrypt(value, self.purpose)
        return value
