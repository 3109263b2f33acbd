import pytest

from jxjy.lib.masking import mask_id_number, mask_mobile, mask_name
from jxjy.lib.mobile import InvalidMobile, normalize_mobile
from jxjy.lib.names import InvalidName, normalize_name


@pytest.mark.parametrize("value", ["13800138000", "16612345678", "19912345678", "14712345678"])
def test_valid_mobiles(value):
    assert normalize_mobile(value) == value


@pytest.mark.parametrize(
    "value",
    ["12345678901", "10012345678", "1380013800", "138001380001", "13800138000\n", "13８00138000", "", "abc"],
)
def test_invalid_mobiles(value):
    with pytest.raises(InvalidMobile):
        normalize_mobile(value)


@pytest.mark.parametrize("value", ["+8613800138000", "008613800138000", "138 0013 8000"])
def test_mobile_prefix_and_spaces_are_stripped(value):
    assert normalize_mobile(value) == "13800138000"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("张伟", "张伟"),
        ("欧阳娜娜", "欧阳娜娜"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提•艾力", "买买提·艾力"),  # bullet typed instead of the middle dot
        ("阿依古丽・买买提", "阿依古丽·买买提"),  # katakana middle dot
        ("𠮷野", "𠮷野"),  # a character outside the BMP (extension B)
        ("王𪚥", "王𪚥"),
    ],
)
def test_valid_names(value, expected):
    assert normalize_name(value) == expected


@pytest.mark.parametrize("value", ["张", "Zhang Wei", "张伟1", "·张伟", "张伟·", "张··伟", "<script>", "张 伟", ""])
def test_invalid_names(value):
    with pytest.raises(InvalidName):
        normalize_name(value)


def test_masks():
    assert mask_id_number("32010219900101123X") == "320102********123X"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_id_number("") == ""


def test_mask_name():
    assert mask_name("张伟") == "张*"
    assert mask_name("李小龙") == "李*龙"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("买买提·艾力") == "买****力"
    assert mask_name("𠮷伟") == "𠮷*"  # a character outside the BMP is one character
    assert mask_name("") == ""
