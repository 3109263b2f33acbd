"""Password rules for learners (ASVS-style: length, letters and digits, not common, not personal)."""

import re

from django.core.exceptions import ValidationError


class LengthValidator:
    def __init__(self, min_length=8, max_length=128):
        self.min_length = min_length
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(f"密码太短，至少需要 {self.min_length} 个字符。", code="password_too_short")
        if len(password) > self.max_length:
            raise ValidationError(f"密码不能超过 {self.max_length} 个字符。", code="password_too_long")

    def get_help_text(self):
        return f"{self.min_length} 到 {self.max_length} 个字符。"


class LettersAndDigitsValidator:
    """A short password must mix letters and digits; from `passphrase_length` characters on, any characters do
    (ASVS 2.1.9: a long passphrase such as "correct horse battery staple" needs no composition rule)."""

    def __init__(self, passphrase_length=12):
        self.passphrase_length = passphrase_length

    def validate(self, password, user=None):
        if len(password) >= self.passphrase_length:
            return
        if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
            raise ValidationError(
                f"密码须同时包含字母和数字（{self.passphrase_length} 位及以上的密码不限）。",
                code="password_letters_digits",
            )

    def get_help_text(self):
        return f"少于 {self.passphrase_length} 位时须同时包含字母和数字。"


class PersonalNumberValidator:
    """Refuses a password that contains the user's ID number or mobile (or a long piece of them)."""

    def validate(self, password, user=None):
        if user is None:
            return
        lowered = password.lower()
        for number in (getattr(user, "id_number", ""), getattr(user, "mobile", "")):
            if not number:
                continue
            number = number.lower()
            # The whole number, or any 6-character run of it (birth dates, last digits).
            pieces = {number} | {number[i : i + 6] for i in range(len(number) - 5)}
            if any(piece in lowered for piece in pieces):
                raise ValidationError("密码不能包含身份证号或手机号中的连续数字。", code="password_personal")

    def get_help_text(self):
        return "不能包含身份证号或手机号。"
