"""Rules the OpenAPI document states in words because JSON Schema cannot: check digits aside, a
relation between fields, or a setting of the server. Each hook turns a generated request into one
that keeps the rule, so that the fuzzer's "schema-valid request rejected" check stays strict
everywhere else. Bodies and queries that are not objects (negative cases) pass through."""

import datetime
import itertools
import re

import schemathesis

BASE_CURRENCY = "USD"  # royalties.base_currency
OTHER_CURRENCIES = ["EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "SEK", "BRL"]
_serial = itertools.count()


def _is(ctx, method, path):
    return ctx.operation.method.upper() == method and ctx.operation.path == path


DECIMAL = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,12})?$")


def _share(split):
    if not isinstance(split, dict) or set(split) - {"payeeUserId", "payeeEmail", "shareBps"}:
        return False
    share = split.get("shareBps")
    payees = [split.get(k) for k in ("payeeUserId", "payeeEmail")]
    return (
        isinstance(share, int)
        and not isinstance(share, bool)
        and 1 <= share <= 10000
        and all(p is None or isinstance(p, str) for p in payees)
    )


def _positive(value):
    return isinstance(value, str) and DECIMAL.match(value) and float(value) > 0


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    if _is(ctx, "PUT", "/songs/{id}/splits"):
        # Each share names exactly one payee, payees differ, and the shares add up to 10000.
        splits = body.get("splits")
        if isinstance(splits, list) and splits and all(_share(s) for s in splits):
            shares = [10000 // len(splits)] * len(splits)
            shares[0] += 10000 - sum(shares)
            body["splits"] = [
                {"payeeEmail": f"payee{next(_serial)}@example.com", "shareBps": share}
                for share in shares
            ]
    elif _is(ctx, "POST", "/payees/{userId}/advances"):
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
        # A key's expiry is in the future.
        if isinstance(body.get("expiresAt"), str):
            later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
            body["expiresAt"] = later.isoformat()
    return body
