"""Form errors a learner can act on: each one names its field, in plain words (issue 15, item 4).

`PlainErrors` goes first among a form's bases. When the form is built and again before it is cleaned, every field
still carrying Django's stock messages gets sentences that name it — 「请填写姓名。」, 「请选择申报类型。」,
「开始日期请按“年-月-日”填写，例如 2026-05-01。」 — and the blank choice 「---------」 becomes 「请选择…」. A message
the form sets itself stays. The project's catalogue (jxjy/locale) covers errors raised outside a form field."""

from django import forms

BLANK_LABEL = "---------"
DATE_EXAMPLE = "请按“年-月-日”填写，例如 2026-05-01。"


def _kind(field) -> str:
    """How a person fills the field in: by choosing, ticking, uploading a file, or typing."""
    if isinstance(field, forms.FileField):
        return "file"
    if isinstance(field, forms.BooleanField):
        return "tick"
    if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)) or isinstance(
        field.widget, (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple)
    ):
        return "choose"
    return "type"


def required_message(field, label: str) -> str:
    return {
        "file": "请选择要上传的文件。",
        "tick": f"请勾选“{label}”。",
        "choose": f"请选择{label}。",
        "type": f"请填写{label}。",
    }[_kind(field)]


def _invalid_message(field, label: str) -> str:
    if isinstance(field, forms.DateTimeField):
        return f"{label}请按“年-月-日 时:分”填写，例如 2026-05-01 08:30。"
    if isinstance(field, forms.DateField):
        return f"{label}{DATE_EXAMPLE}"
    if isinstance(field, forms.TimeField):
        return f"{label}请按“时:分”填写，例如 08:30。"
    if isinstance(field, (forms.DecimalField, forms.FloatField)):
        return f"{label}请填写数字，例如 12 或 12.5。"
    if isinstance(field, forms.IntegerField):
        return f"{label}请填写整数，例如 12。"
    if isinstance(field, forms.EmailField):
        return f"请填写正确的{label}，例如 name@example.cn。"
    if isinstance(field, forms.URLField):
        return f"请填写正确的{label}，例如 https://www.example.cn。"
    if isinstance(field, forms.FileField):
        return "没有收到文件，请重新选择后再上传。"
    return f"{label}的格式不对，请检查后重新填写。"


def plain_messages(field, label: str) -> dict:
    """{error code: plain message} for `field` shown as `label`. Messages with %(…)s take the error's params."""
    safe = label.replace("%", "%%")  # the label goes into messages Django formats with `%`
    return {
        "required": required_message(field, label),
        "blank": required_message(field, label),  # a ModelForm's model saying the same
        "null": required_message(field, label),
        "invalid": _invalid_message(field, safe),
        "invalid_choice": f"请从列表中选择{safe}。",
        "invalid_list": f"请从列表中选择{safe}。",
        "invalid_pk_value": f"请从列表中选择{safe}。",
        "incomplete": f"请把{safe}填写完整。",
        "max_length": (
            "文件名太长，最多 %(max)d 个字，请改短后再上传。"
            if isinstance(field, forms.FileField)
            else f"{safe}最多 %(limit_value)d 个字，现在是 %(show_value)d 个，请删去一些。"
        ),
        "min_length": f"{safe}至少 %(limit_value)d 个字，现在是 %(show_value)d 个。",
        "max_value": f"{safe}不能大于 %(limit_value)s。",
        "min_value": f"{safe}不能小于 %(limit_value)s。",
        "step_size": f"{safe}请填写 %(limit_value)s 的整数倍。",
        "max_digits": f"{safe}的数字太长，最多 %(max)s 位。",
        "max_decimal_places": f"{safe}小数点后最多 %(max)s 位。",
        "max_whole_digits": f"{safe}小数点前最多 %(max)s 位。",
        "missing": "请选择要上传的文件。",
        "empty": "上传的文件是空的，请换一个文件。",
        "contradiction": "请上传新文件，或者勾选“清除”，不能两个都选。",
        "invalid_image": "请上传图片（JPG、PNG 等）。这个文件不是图片，或者已经损坏。",
        "invalid_extension": "只能上传这几种文件：%(allowed_extensions)s。",
        "null_characters_not_allowed": f"{safe}里有无法识别的字符，请删去后重新填写。",
        "overflow": f"{safe}太大了，请检查后重新填写。",
    }


def _stock_messages(field) -> dict:
    """The messages Django gives a field of this class, merged the way `Field.__init__` merges them."""
    stock = {}
    for cls in reversed(type(field).__mro__):
        stock.update(getattr(cls, "default_error_messages", {}))
    return stock


def _own_message(validator) -> bool:
    """A validator given its own message by the project (it stays): not the message its class comes with."""
    stock = getattr(type(validator), "message", None)
    return hasattr(validator, "code") and getattr(validator, "message", stock) is not stock


class Plain(str):
    """A message this module wrote, so a later pass (after a relabel) may write it again."""


def plain_choices(field, label: str) -> None:
    """The blank choice says 「请选择…」 in a list, and is not offered at all as a radio button."""
    radio = isinstance(field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == BLANK_LABEL:
            field.empty_label = None if radio else f"请选择{label}"
    elif isinstance(field, forms.ChoiceField) and any(text == BLANK_LABEL for _, text in field.choices):
        blank = [] if radio else [("", f"请选择{label}")]
        field.choices = [*blank, *((value, text) for value, text in field.choices if text != BLANK_LABEL)]


def _replaceable(current, code, stock, own) -> bool:
    """Django's stock message, one this module wrote, or none at all (unless a validator brings its own)."""
    if current is None:
        return code not in own
    return isinstance(current, Plain) or (code in stock and current is stock[code])


def make_plain(field, name: str) -> None:
    """Give `field` the plain message of every error code it still has Django's (or no) message for."""
    label = str(field.label or name)
    stock = _stock_messages(field)
    own = {v.code for v in field.validators if _own_message(v)}
    for code, message in plain_messages(field, label).items():
        if _replaceable(field.error_messages.get(code), code, stock, own):
            field.error_messages[code] = Plain(message)
    plain_choices(field, label)


class PlainErrors:
    """Mix into a form (first among its bases): every field's errors name the field, in plain Chinese."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.make_plain()

    def make_plain(self) -> None:
        for name, field in self.fields.items():
            make_plain(field, name)

    def full_clean(self):
        # Again at cleaning time: a subclass may relabel or add fields after __init__ (新密码 for 设置密码).
        self.make_plain()
        super().full_clean()
