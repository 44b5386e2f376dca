DROP TABLE royalty_statement_advances;
DROP TABLE advance_albums;
