"""Rules the OpenAPI document states in words because JSON Schema cannot: a setting of the server
(the base currency) or a fact about the present (an expiry in the future). Each hook turns a
generated request into one that keeps the rule, so that the fuzzer's "schema-valid request
rejected" check stays strict everywhere else. A hook changes only values that already satisfy the
schema, so a request made to break it (a negative case) still breaks it."""

import datetime
import re

import schemathesis

BASE_CURRENCY = "USD"  # royalties.base_currency
OTHER_CURRENCIES = ["EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK", "BRL"]


def _is(ctx, method, path):
    return ctx.operation.method.upper() == method and ctx.operation.path == path


DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")


def _date_time(value):
    """A real RFC 3339 date-time: the shape, and values that exist (no minute 99), so that a
    value made invalid on purpose is left for the server to refuse."""
    if not DATE_TIME.match(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _positive(value):
    return isinstance(value, str) and DECIMAL.match(value) and float(value) > 0


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    if _is(ctx, "POST", "/payees/{userId}/advances"):
        # An advance is in the base currency, above 0, in whole cents.
        if isinstance(body.get("currency"), str) and re.match(r"^[A-Z]{3}$", body["currency"]):
            body["currency"] = BASE_CURRENCY
        amount = body.get("amount")
        if isinstance(amount, str) and DECIMAL.match(amount):
            whole, _, cents = amount.partition(".")
            amount = f"{whole}.{cents[:2]}" if cents else whole
            body["amount"] = amount if _positive(amount) else "1.00"
    elif _is(ctx, "PUT", "/royalties/fx/{period}"):
        # Rates are for known currencies other than the base one, each above 0.
        rates = body.get("rates")
        if isinstance(rates, dict) and all(
            re.match(r"^[A-Z]{3}$", c) and isinstance(r, str) and DECIMAL.match(r)
            for c, r in rates.items()
        ):
            body["rates"] = {
                currency: (rate if _positive(rate) else "1.5")
                for currency, rate in zip(OTHER_CURRENCIES, rates.values())
            }
    elif _is(ctx, "POST", "/api-keys"):
        # A key's expiry is in the future (a value that is not a date-time stays as generated).
        expires = body.get("expiresAt")
        if isinstance(expires, str) and _date_time(expires):
            later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
            body["expiresAt"] = later.isoformat()
    return body
