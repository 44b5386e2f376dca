//! Many ready releases at once, seeded in SQL as the API would have stored them: one track each,
//! all sharing one master and one artwork in storage (for bulk tests and benchmarks).

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::fixtures;
use crate::http::upc;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seeds `count` releases owned by `owner` (ids `album-{prefix}{i:011}`); the first `not_ready`
/// have no audio, so readiness refuses them. UPCs and ISRCs derive from `serial_base` and the
/// index, so two seeds in one database must use bases `count` apart. Returns the album ids.
pub async fn seed(
    conn: &mut AsyncPgConnection,
    storage: &dyn backbeat_storage::Storage,
    owner: &str,
    prefix: &str,
    count: usize,
    not_ready: usize,
    serial_base: u32,
) -> Vec<String> {
    let audio = fixtures::cd_wav(1);
    let artwork = fixtures::artwork();
    for (key, bytes) in [
        (format!("audio/{prefix}/master.wav"), audio.as_slice()),
        (format!("artwork/{prefix}/cover.jpg"), artwork),
    ] {
        storage.put(&key, bytes).await.expect("stored");
    }
    let ids: Vec<String> = (0..count)
        .map(|i| format!("album-{prefix}{i:011}"))
        .collect();
    let artist = format!("artist-{prefix}seed");
    let mut sql = format!(
        "INSERT INTO artists (id, owner_id, name) VALUES ('{artist}', '{owner}', 'Bulk Artist');\n"
    );
    let albums: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            format!(
                "('{id}', 'Release {i}', 2026, '{owner}', '{artist}', '{}', 'Backbeat Records', 'Pop', \
                 '2026-12-04', '2026 Backbeat Records', '2026 Backbeat Records')",
                upc(serial_base + i as u32)
            )
        })
        .collect();
    sql.push_str(&format!(
        "INSERT INTO albums (id, name, year, owner_id, artist_id, upc, label, genre, release_date, p_line, c_line) VALUES {};\n",
        albums.join(",\n")
    ));
    sql.push_str(&format!(
        "INSERT INTO songs (id, title, year, genre, performer, album_id, owner_id, isrc, track_number)
         SELECT 'song-{prefix}' || lpad(i::text, 11, '0'), 'Track ' || i, 2026, 'Pop', 'Bulk Artist',
                'album-{prefix}' || lpad(i::text, 11, '0'), '{owner}',
                'QZ' || lpad(({serial_base} + i)::text, 10, '0'), 1
         FROM generate_series(0, {last}) i;
         INSERT INTO audio_files (song_id, storage_key, format, sample_rate, bit_depth, channels, frames, bytes, sha256, md5)
         SELECT 'song-{prefix}' || lpad(i::text, 11, '0'), 'audio/{prefix}/master.wav', 'wav', 44100, 16, 2, 44100,
                {audio_bytes}, '{audio_sha}', '{audio_md5}'
         FROM generate_series({not_ready}, {last}) i;
         INSERT INTO artworks (album_id, storage_key, format, width, height, bytes, sha256, md5)
         SELECT 'album-{prefix}' || lpad(i::text, 11, '0'), 'artwork/{prefix}/cover.jpg', 'jpeg', 3000, 3000,
                {art_bytes}, '{art_sha}', '{art_md5}'
         FROM generate_series(0, {last}) i;",
        last = count - 1,
        audio_bytes = audio.len(),
        audio_sha = hex(&Sha256::digest(&audio)),
        audio_md5 = hex(&Md5::digest(&audio)),
        art_bytes = artwork.len(),
        art_sha = hex(&Sha256::digest(artwork)),
        art_md5 = hex(&Md5::digest(artwork)),
    ));
    conn.batch_execute(&sql).await.expect("seed releases");
    ids
}
