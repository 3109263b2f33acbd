import pytest

from jxjy.lib.idcard import InvalidIdNumber, check_char, gender_of, is_valid_id_number, normalize_id_number

# security-requirements.md §4, exactly as listed.
VALID = [
    "11010519491231002X",
    "440524188001010014",
    "34052419800101001X",
    "513101198201130014",
    "370101190102039973",
    "110101200002290026",
]
INVALID = [
    "110105194912310021",  # check digit should be X
    "440524188001010015",  # check digit should be 4
    "11010119000229002X",  # 1900-02-29 does not exist
    "110101199002300014",  # 30 February
    "11010519491231002",  # 17 characters
    "11010519491231002X1",  # 19 characters
    "11010519491231002X\n",  # trailing newline: re.match('^…$') would accept it
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
    "1101051949123100２X",  # one full-width digit
    "11010519491231002Y",
    "",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_vectors(value):
    assert normalize_id_number(value) == value


@pytest.mark.parametrize("value", INVALID)
def test_invalid_vectors(value):
    assert not is_valid_id_number(value)
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(value)


def test_lowercase_x_is_normalised_to_upper():
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"


def test_surrounding_spaces_are_trimmed():
    assert normalize_id_number(" 11010519491231002X ") == "11010519491231002X"


def test_check_char_matches_gb11643_examples():
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


def test_future_birth_date_is_refused():
    first17 = "32010220990101123"
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        normalize_id_number(first17 + check_char(first17))


def test_messages_are_chinese_and_specific():
    with pytest.raises(InvalidIdNumber, match="18 位"):
        normalize_id_number("123")
    with pytest.raises(InvalidIdNumber, match="校验位"):
        normalize_id_number("110105194912310021")
    with pytest.raises(InvalidIdNumber, match="出生日期"):
        normalize_id_number("110101199002300014")


def test_gender_from_sequence_parity():
    assert gender_of("11010519491231002X") == "F"  # sequence 002
    assert gender_of("370101190102039973") == "M"  # sequence 997
