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

INSERT INTO royalty_lines
    (statement_id, song_id, platform_id, territory, units, gross, fee, net, share_bps, amount)
SELECT sh.statement_id, l.song_id, l.platform_id, l.territory, l.units, l.gross, l.fee, l.net,
       sh.share_bps, l.net * sh.share_bps * 0.0001
FROM royalty_shares sh
JOIN royalty_statements s ON s.id = sh.statement_id
JOIN royalty_run_lines l ON l.run_id = s.run_id AND l.song_id = sh.song_id;

DROP TABLE royalty_run_lines;
