DROP TABLE artist_verifications;
DROP TABLE message_reactions;
DROP TABLE chat_messages;
DROP TABLE room_members;
DROP TABLE rooms;
