"""The staff password policy (等保 身份鉴别 a), ASVS 2.1): learners keep the rules in jxjy.accounts.validators."""

import re

from django.core.exceptions import ValidationError

CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)


def is_staff_account(user) -> bool:
    return user is not None and (getattr(user, "is_staff", False) or getattr(user, "role", "learner") != "learner")


class StaffPasswordValidator:
    """A staff password: at least `min_length` characters, 3 of the 4 character classes, not the username."""

    def __init__(self, min_length=12, classes_required=3):
        self.min_length = min_length
        self.classes_required = classes_required

    def validate(self, password, user=None):
        if not is_staff_account(user):
            return
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(f"工作人员密码至少需要 {self.min_length} 个字符。", code="staff_password_too_short")
            )
        present = sum(1 for _, pattern in CLASSES if pattern.search(password))
        if present < self.classes_required:
            errors.append(
                ValidationError(
                    "工作人员密码须包含大写字母、小写字母、数字、符号四类中的至少三类。",
                    code="staff_password_classes",
                )
            )
        username = (getattr(user, "username", "") or "").lower()
        if username and username in password.lower():
            errors.append(ValidationError("密码不能包含用户名。", code="staff_password_username"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return f"工作人员密码至少 {self.min_length} 个字符，包含大小写字母、数字、符号中的至少三类，不能包含用户名。"
