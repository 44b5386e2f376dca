-- An advance may name the releases it is recouped from; one naming none recoups from all.
-- No foreign key to albums: deleting a release must not silently turn its advance into one
-- recouped from everything the payee earns.
CREATE TABLE advance_albums (
    advance_id TEXT NOT NULL REFERENCES advances (id) ON DELETE CASCADE,
    album_id   TEXT NOT NULL,
    PRIMARY KEY (advance_id, album_id)
);

-- Each statement's ledger of advances: what was owed on each when the period opened, what the
-- period added, what it recouped, and what is still owed. An advance's last row in a standing
-- statement says what is owed on it; one fully recouped is in no later statement.
CREATE TABLE royalty_statement_advances (
    statement_id TEXT NOT NULL REFERENCES royalty_statements (id) ON DELETE CASCADE,
    advance_id   TEXT NOT NULL REFERENCES advances (id),
    -- The order they were recouped in, which the statement shows.
    position     INTEGER NOT NULL,
    opening      NUMERIC NOT NULL CHECK (opening >= 0),
    advanced     NUMERIC NOT NULL CHECK (advanced >= 0),
    recouped     NUMERIC NOT NULL CHECK (recouped >= 0),
    closing      NUMERIC NOT NULL CHECK (closing >= 0),
    PRIMARY KEY (statement_id, advance_id),
    CHECK (closing = opening + advanced - recouped)
);
CREATE INDEX royalty_statement_advances_advance_idx ON royalty_statement_advances (advance_id);

-- The statements written before this netted every advance into one balance, recouping them
-- oldest first: write their ledgers as that balance left them. After each standing statement,
-- what its advances still owed is its negative closing balance (at most what they came to);
-- the rest was recouped, from the oldest advance on.
WITH standing AS (
    SELECT s.id, s.payee_id, s.period, s.created_at, s.closing_balance
    FROM royalty_statements s
    JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'),
counted AS (
    SELECT DISTINCT ON (a.id) a.id AS advance_id, a.payee_id, a.amount, a.period, a.created_at,
           st.period AS first_period
    FROM advances a
    JOIN standing st ON st.payee_id = a.payee_id AND a.period <= st.period
                    AND a.created_at <= st.created_at
    ORDER BY a.id, st.period),
queue AS (
    SELECT c.*,
           coalesce(sum(c.amount) OVER (PARTITION BY c.payee_id
                                        ORDER BY c.first_period, c.period, c.created_at, c.advance_id
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead,
           row_number() OVER (PARTITION BY c.payee_id
                              ORDER BY c.first_period, c.period, c.created_at, c.advance_id) AS position
    FROM counted c),
recouped AS (
    -- Never less than before: a refund deepening the balance is a debt, not an advance.
    SELECT st.id, st.payee_id, st.period,
           max(t.total - least(t.total, greatest(0, -st.closing_balance)))
               OVER (PARTITION BY st.payee_id ORDER BY st.period) AS so_far
    FROM standing st
    CROSS JOIN LATERAL (SELECT coalesce(sum(c.amount), 0) AS total FROM counted c
                        WHERE c.payee_id = st.payee_id AND c.first_period <= st.period) t),
after_each AS (
    SELECT r.id AS statement_id, r.period, q.advance_id, q.first_period, q.amount, q.position,
           q.amount - least(q.amount, greatest(0, r.so_far - q.ahead)) AS closing
    FROM recouped r
    JOIN queue q ON q.payee_id = r.payee_id AND q.first_period <= r.period),
rows AS (
    SELECT a.*,
           CASE WHEN a.first_period = a.period THEN 0
                ELSE lag(a.closing) OVER (PARTITION BY a.advance_id ORDER BY a.period) END AS opening,
           CASE WHEN a.first_period = a.period THEN a.amount ELSE 0 END AS advanced
    FROM after_each a)
INSERT INTO royalty_statement_advances
    (statement_id, advance_id, position, opening, advanced, recouped, closing)
SELECT statement_id, advance_id, position, opening, advanced, opening + advanced - closing, closing
FROM rows
WHERE opening > 0 OR advanced > 0;
