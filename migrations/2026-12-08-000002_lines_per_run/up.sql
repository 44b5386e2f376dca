-- A run's lines, once per run instead of once per payee of each song: a payee's part of a line
-- is its net times the share frozen in the statement's share of the song
-- (`royalty_shares.share_bps`), computed when the statement is read. A run over 10M usage
-- lines wrote four times as many rows as it needs, and most of its time went there.
-- No foreign key to royalty_runs: runs are never deleted, and a check per line would cost the
-- run more than its GROUP BY.
CREATE TABLE royalty_run_lines (
    run_id      TEXT NOT NULL,
    song_id     TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    territory   TEXT NOT NULL,
    units       BIGINT NOT NULL,
    gross       NUMERIC NOT NULL,
    fee         NUMERIC NOT NULL,
    net         NUMERIC NOT NULL,
    PRIMARY KEY (run_id, song_id, platform_id, territory)
);

INSERT INTO royalty_run_lines (run_id, song_id, platform_id, territory, units, gross, fee, net)
SELECT DISTINCT ON (s.run_id, l.song_id, l.platform_id, l.territory)
       s.run_id, l.song_id, l.platform_id, l.territory, l.units, l.gross, l.fee, l.net
FROM royalty_lines l JOIN royalty_statements s ON s.id = l.statement_id
ORDER BY s.run_id, l.song_id, l.platform_id, l.territory;

DROP TABLE royalty_lines;
