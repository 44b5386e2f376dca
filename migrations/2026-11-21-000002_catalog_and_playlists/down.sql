DROP TABLE playlist_activities;
DROP TABLE collaborations;
DROP TABLE playlist_songs;
DROP TABLE playlists;
DROP TABLE songs;
DROP TABLE albums;
