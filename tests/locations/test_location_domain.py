from orderly.locations.domain import is_country_code, is_timezone


def test_country_codes_are_two_uppercase_letters() -> None:
    assert is_country_code("US")
    assert not is_country_code("us")
    assert not is_country_code("USA")
    assert not is_country_code("U1")


def test_time_zones_are_iana_names() -> None:
    assert is_timezone("UTC")
    assert is_timezone("Europe/Paris")
    assert not is_timezone("Mars/Olympus_Mons")
    assert not is_timezone("../../etc/passwd")
    assert not is_timezone("")
