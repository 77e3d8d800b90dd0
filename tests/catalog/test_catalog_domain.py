import pytest

from orderly.catalog.domain import gtin_check_digit, is_valid_gtin

FULL_WIDTH_EAN_13 = "".join(chr(0xFF10 + int(d)) for d in "4006381333931")


@pytest.mark.parametrize(
    "gtin",
    [
        "96385074",  # GTIN-8 (EAN-8)
        "036000291452",  # GTIN-12 (UPC-A)
        "4006381333931",  # GTIN-13 (EAN-13)
        "00012345600012",  # GTIN-14
        "10614141000415",  # GTIN-14 case code
    ],
)
def test_real_gtins_are_valid(gtin: str) -> None:
    assert is_valid_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    [
        "4006381333932",  # wrong check digit
        "036000291453",
        "96385075",
        "400638133393",  # 12 digits, so its check digit is another
        "1234567",  # no such length
        "123456789012345",
        "40063813339A1",
        "",
        FULL_WIDTH_EAN_13,  # other scripts' digits are not GS1 digits
    ],
)
def test_other_codes_are_not(gtin: str) -> None:
    assert not is_valid_gtin(gtin)


def test_check_digit_rounds_up_to_a_multiple_of_ten() -> None:
    assert gtin_check_digit("400638133393") == 1
    assert gtin_check_digit("0000000") == 0
