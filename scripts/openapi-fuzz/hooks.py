"""A rule the OpenAPI document states in words because JSON Schema cannot: a fact about the
present (an expiry in the future). The hook turns a generated request into one that keeps the
rule, so that the fuzzer's "schema-valid request rejected" check stays strict there too. It
changes only values that already satisfy the schema, so a request made to break it (a negative
case) still breaks it. (The hook-free run, plain.toml, accepts a 400 there instead.)"""

import datetime
import re

import schemathesis


def _is(ctx, method, path):
    return ctx.operation.method.upper() == method and ctx.operation.path == path


DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


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


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    if _is(ctx, "POST", "/api-keys"):
        # A key's expiry is in the future (a value that is not a date-time stays as generated).
        expires = body.get("expiresAt")
        if isinstance(expires, str) and _date_time(expires):
            later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
            body["expiresAt"] = later.isoformat()
    return body
