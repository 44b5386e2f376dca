DROP TABLE payout_payments;
DROP TABLE payout_batches;
ALTER TABLE payees DROP COLUMN payout_threshold;
ALTER TABLE royalty_statements DROP COLUMN approved_by, DROP COLUMN approved_at;
