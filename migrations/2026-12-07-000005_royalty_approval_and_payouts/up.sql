-- Statements are drafts until an admin approves them; only approved ones reach payees. The
-- statements already written were emailed when their run ended: they stand approved.
ALTER TABLE royalty_statements
    ADD COLUMN approved_at TIMESTAMPTZ,
    ADD COLUMN approved_by TEXT REFERENCES users (id) ON DELETE SET NULL;
UPDATE royalty_statements SET approved_at = created_at;

-- A payee is paid once what they are owed reaches this (NULL: `royalties.minimum_payout`).
ALTER TABLE payees ADD COLUMN payout_threshold NUMERIC CHECK (payout_threshold >= 0);

-- A payout: the approved payable balances taken at one time, exported as a payment file, then
-- marked paid once the bank or payment provider has sent the money.
CREATE TABLE payout_batches (
    id         TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('open', 'paid')),
    currency   TEXT NOT NULL,
    total      NUMERIC NOT NULL,
    payments   INTEGER NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    paid_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    paid_at    TIMESTAMPTZ
);

-- One payment per payee per batch, of one statement's payable. A payment stands until an admin
-- records a reversal (the money came back, or was never sent), which unlocks its period.
CREATE TABLE payout_payments (
    batch_id     TEXT NOT NULL REFERENCES payout_batches (id) ON DELETE CASCADE,
    statement_id TEXT NOT NULL REFERENCES royalty_statements (id),
    payee_id     TEXT NOT NULL REFERENCES payees (id),
    period       DATE NOT NULL,
    email        TEXT,
    amount       NUMERIC NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    -- The reference the payee sees on the transfer: unique across all payouts.
    reference    TEXT NOT NULL UNIQUE,
    reversed_at  TIMESTAMPTZ,
    reversed_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    reversal_reason TEXT,
    PRIMARY KEY (batch_id, payee_id)
);
-- A statement is paid at most once while its payment stands.
CREATE UNIQUE INDEX payout_payments_statement_key
    ON payout_payments (statement_id) WHERE reversed_at IS NULL;
CREATE INDEX payout_payments_period_idx ON payout_payments (period) WHERE reversed_at IS NULL;
