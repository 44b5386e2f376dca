-- Usage reports from platforms, analytics over them, and royalty runs that turn a period's usage
-- into statements. Periods are months, stored as their first day.

-- One uploaded report of one platform for one month.
CREATE TABLE usage_reports (
    id            TEXT PRIMARY KEY,
    -- Names the report's table of lines (`usage_lines_p202610_r42`).
    seq           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    platform_id   TEXT NOT NULL REFERENCES platforms (id),
    period        DATE NOT NULL CHECK (extract(day FROM period) = 1),
    format        TEXT NOT NULL CHECK (format IN ('csv', 'dsr')),
    storage_key   TEXT NOT NULL,
    file_name     TEXT,
    file_bytes    BIGINT NOT NULL,
    file_sha256   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'importing', 'imported', 'failed')),
    job_id        TEXT,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    error         TEXT,
    -- Data lines read, loaded (matched or not) and refused.
    lines         BIGINT,
    matched       BIGINT,
    unmatched     BIGINT,
    rejected      BIGINT,
    -- {"EUR": {"lines", "units", "revenue", "matchedRevenue"}}
    totals        JSONB,
    -- {"reason": count}
    rejected_by_reason JSONB,
    -- What the file said about itself (DSR header, skipped record types).
    details       JSONB,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
-- The same file is imported once; a failed import does not block a second try.
CREATE UNIQUE INDEX usage_reports_file_key ON usage_reports (file_sha256) WHERE status <> 'failed';
CREATE INDEX usage_reports_period_idx ON usage_reports (period, created_at, id);

-- The first refused lines of a report, with why (all of them are counted in the report).
CREATE TABLE usage_rejections (
    report_id TEXT NOT NULL REFERENCES usage_reports (id) ON DELETE CASCADE,
    line      BIGINT NOT NULL,
    field     TEXT,
    reason    TEXT NOT NULL,
    PRIMARY KEY (report_id, line)
);

-- Every usage line, partitioned by period and then by report: an import builds its report's
-- table unindexed, indexes it and attaches it in one transaction; removing a report drops its
-- table; a whole period can be detached and archived. The partitions are created by the import.
CREATE TABLE usage_lines (
    period         DATE NOT NULL,
    report_id      TEXT NOT NULL,
    line           INTEGER NOT NULL,
    transaction_id TEXT NOT NULL,
    song_id        TEXT,
    isrc           TEXT,
    upc            TEXT,
    title          TEXT,
    artist         TEXT,
    territory      TEXT NOT NULL,
    use_type       TEXT NOT NULL,
    units          BIGINT NOT NULL,
    -- In the report's currency, exactly as reported (or allocated from a DSR summary).
    revenue        NUMERIC NOT NULL,
    currency       TEXT NOT NULL,
    usage_date     DATE
) PARTITION BY RANGE (period);

-- Matched usage summed by month, maintained by imports: song and album analytics...
CREATE TABLE usage_by_song (
    song_id     TEXT NOT NULL,
    period      DATE NOT NULL,
    platform_id TEXT NOT NULL,
    territory   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    units       BIGINT NOT NULL,
    revenue     NUMERIC NOT NULL,
    PRIMARY KEY (song_id, period, platform_id, territory, currency)
);
-- ...a catalog's overview by platform and territory...
CREATE TABLE usage_by_owner (
    owner_id    TEXT NOT NULL,
    period      DATE NOT NULL,
    platform_id TEXT NOT NULL,
    territory   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    units       BIGINT NOT NULL,
    revenue     NUMERIC NOT NULL,
    PRIMARY KEY (owner_id, period, platform_id, territory, currency)
);
-- ...and its top tracks.
CREATE TABLE usage_by_owner_song (
    owner_id TEXT NOT NULL,
    period   DATE NOT NULL,
    song_id  TEXT NOT NULL,
    currency TEXT NOT NULL,
    units    BIGINT NOT NULL,
    revenue  NUMERIC NOT NULL,
    PRIMARY KEY (owner_id, period, song_id, currency)
);

-- Who royalties are paid to: an account, or an email address until someone signs up with it.
CREATE TABLE payees (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id),
    email      TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (user_id IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX payees_user_key ON payees (user_id);
CREATE UNIQUE INDEX payees_email_key ON payees (lower(email)) WHERE user_id IS NULL;

-- A song's current splits; none: its owner gets everything.
CREATE TABLE song_splits (
    song_id   TEXT NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    payee_id  TEXT NOT NULL REFERENCES payees (id),
    share_bps INTEGER NOT NULL CHECK (share_bps BETWEEN 1 AND 10000),
    PRIMARY KEY (song_id, payee_id)
);

-- The splits a period was run with, frozen by its first run: later changes apply to periods not
-- yet run, and a rerun reproduces the period.
CREATE TABLE period_splits (
    period    DATE NOT NULL,
    song_id   TEXT NOT NULL,
    payee_id  TEXT NOT NULL REFERENCES payees (id),
    share_bps INTEGER NOT NULL CHECK (share_bps BETWEEN 1 AND 10000),
    PRIMARY KEY (period, song_id, payee_id)
);

-- The distributor's fee on this platform's revenue; NULL: the configured default.
ALTER TABLE platforms ADD COLUMN fee_bps INTEGER CHECK (fee_bps BETWEEN 0 AND 10000);

-- Base-currency units per unit of `currency` for a period.
CREATE TABLE fx_rates (
    period     DATE NOT NULL,
    currency   TEXT NOT NULL,
    rate       NUMERIC NOT NULL CHECK (rate > 0),
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (period, currency)
);

-- Money paid to a payee ahead of earnings, in the base currency, recouped by the runs of its
-- period and the ones after.
CREATE TABLE advances (
    id         TEXT PRIMARY KEY,
    payee_id   TEXT NOT NULL REFERENCES payees (id),
    amount     NUMERIC NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    period     DATE NOT NULL,
    note       TEXT,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX advances_payee_idx ON advances (payee_id, period);

CREATE TABLE royalty_runs (
    id            TEXT PRIMARY KEY,
    period        DATE NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'superseded')),
    base_currency TEXT NOT NULL,
    job_id        TEXT,
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- The run this one replaces (`?rerun=true`).
    supersedes    TEXT REFERENCES royalty_runs (id),
    result        JSONB,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
-- One run of a period at a time, and one standing result per period.
CREATE UNIQUE INDEX royalty_runs_in_flight_key ON royalty_runs (period) WHERE status IN ('queued', 'running');
CREATE UNIQUE INDEX royalty_runs_current_key ON royalty_runs (period) WHERE status = 'succeeded';

-- What a payee earned in a run, in the run's base currency.
CREATE TABLE royalty_statements (
    id                TEXT PRIMARY KEY,
    run_id            TEXT NOT NULL REFERENCES royalty_runs (id) ON DELETE CASCADE,
    period            DATE NOT NULL,
    payee_id          TEXT NOT NULL REFERENCES payees (id),
    currency          TEXT NOT NULL,
    opening_balance   NUMERIC NOT NULL,
    gross             NUMERIC NOT NULL,
    fee               NUMERIC NOT NULL,
    earnings          NUMERIC NOT NULL,
    -- Advances dated after the payee's previous statement, up to this period.
    advances          NUMERIC NOT NULL,
    advances_recouped NUMERIC NOT NULL,
    closing_balance   NUMERIC NOT NULL,
    payable           NUMERIC NOT NULL,
    -- Where it was emailed (NULL: the payee has no address) and the CSV's digest then.
    email             TEXT,
    csv_sha256        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (run_id, payee_id)
);
CREATE INDEX royalty_statements_payee_idx ON royalty_statements (payee_id, period);

-- A payee's share of each song's net for the period, in whole minor units: these add up to the
-- statement's earnings. Title and ISRC as they were at the run, so a statement never changes.
CREATE TABLE royalty_shares (
    statement_id TEXT NOT NULL REFERENCES royalty_statements (id) ON DELETE CASCADE,
    song_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    isrc         TEXT,
    song_net     NUMERIC NOT NULL,
    share_bps    INTEGER NOT NULL,
    amount       NUMERIC NOT NULL,
    PRIMARY KEY (statement_id, song_id)
);

-- The detail behind a share: the payee's part of one song on one platform in one territory,
-- exact (never rounded; statements round totals only).
CREATE TABLE royalty_lines (
    statement_id TEXT NOT NULL REFERENCES royalty_statements (id) ON DELETE CASCADE,
    song_id      TEXT NOT NULL,
    platform_id  TEXT NOT NULL,
    territory    TEXT NOT NULL,
    units        BIGINT NOT NULL,
    gross        NUMERIC NOT NULL,
    fee          NUMERIC NOT NULL,
    net          NUMERIC NOT NULL,
    share_bps    INTEGER NOT NULL,
    amount       NUMERIC NOT NULL,
    PRIMARY KEY (statement_id, song_id, platform_id, territory)
);
