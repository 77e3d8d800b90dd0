"""Money: integer minor units plus an ISO 4217 currency; decimal strings at the API edge."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies in common commerce use, with their number of minor-unit digits.
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        "AED ARS AUD BDT BGN BRL CAD CHF CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR "
        "MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RUB SAR SEK SGD THB TRY TWD UAH "
        "USD ZAR".split(),
        2,
    ),
    **dict.fromkeys("JPY KRW VND CLP ISK UGX XAF XOF".split(), 0),
    **dict.fromkeys("BHD JOD KWD OMR TND".split(), 3),
}


class MoneyError(ValueError):
    pass


def currency_exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}; use an ISO 4217 code") from None


def to_minor(amount: str | Decimal, currency: str) -> int:
    """Parse a decimal amount such as "19.99" into minor units, refusing excess precision."""
    exponent = currency_exponent(currency)
    try:
        value = Decimal(amount) if isinstance(amount, str) else amount
    except InvalidOperation:
        raise MoneyError(f"{amount!r} is not a decimal amount") from None
    if not value.is_finite():
        raise MoneyError(f"{amount!r} is not a decimal amount")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more than {exponent} decimal places for {currency}")
    return int(scaled)


def from_minor(minor: int, currency: str) -> str:
    exponent = currency_exponent(currency)
    if exponent == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}"
