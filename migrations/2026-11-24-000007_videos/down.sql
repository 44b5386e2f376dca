DROP TABLE video_sync_state;
DROP TABLE video_sync_passes;
DROP TABLE video_tags;
DROP TABLE tags;
DROP TABLE videos;
