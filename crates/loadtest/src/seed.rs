//! Seeds `backbeat_bench` in SQL: fast enough for a million songs.

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::Options;

/// Titles are three of these words, so a one-word search matches a few hundred of 100k songs.
pub const WORDS: &[&str] = &[
    "love",
    "night",
    "heart",
    "fire",
    "rain",
    "summer",
    "dream",
    "light",
    "river",
    "city",
    "star",
    "ocean",
    "moon",
    "road",
    "home",
    "blue",
    "golden",
    "wild",
    "silent",
    "electric",
    "broken",
    "burning",
    "dancing",
    "falling",
    "midnight",
    "morning",
    "shadow",
    "thunder",
    "velvet",
    "crystal",
    "paper",
    "glass",
    "silver",
    "echo",
    "wave",
    "storm",
    "garden",
    "window",
    "mirror",
    "winter",
    "autumn",
    "spring",
    "desert",
    "mountain",
    "valley",
    "forest",
    "island",
    "harbor",
    "bridge",
    "tower",
    "castle",
    "kingdom",
    "empire",
    "rebel",
    "angel",
    "devil",
    "ghost",
    "stranger",
    "lover",
    "friend",
    "brother",
    "sister",
    "mother",
    "father",
    "child",
    "runner",
    "dreamer",
    "wanderer",
    "soldier",
    "sailor",
    "driver",
    "dancer",
    "singer",
    "poet",
    "painter",
    "thief",
    "queen",
    "king",
    "prince",
    "lady",
    "gentleman",
    "hero",
    "villain",
    "saint",
    "sinner",
    "prayer",
    "promise",
    "secret",
    "lie",
    "truth",
    "memory",
    "future",
    "yesterday",
    "tomorrow",
    "forever",
    "never",
    "always",
    "sometimes",
    "tonight",
    "sunrise",
    "sunset",
    "horizon",
    "galaxy",
    "planet",
    "comet",
    "rocket",
    "engine",
    "machine",
    "signal",
    "radio",
    "static",
    "neon",
    "chrome",
    "diamond",
    "pearl",
    "ruby",
    "emerald",
    "sapphire",
    "amber",
    "scarlet",
    "crimson",
    "violet",
    "indigo",
    "ivory",
    "ebony",
    "honey",
    "sugar",
    "salt",
    "pepper",
    "wine",
    "whiskey",
    "coffee",
    "tea",
    "bread",
    "apple",
    "cherry",
    "lemon",
    "orange",
    "peach",
    "berry",
    "rose",
    "lily",
    "daisy",
    "tulip",
    "orchid",
    "willow",
    "cedar",
    "pine",
    "maple",
    "oak",
    "stone",
    "iron",
    "steel",
    "gold",
    "copper",
    "velocity",
    "gravity",
    "distance",
    "silence",
    "noise",
    "rhythm",
    "melody",
    "harmony",
    "chorus",
    "verse",
    "anthem",
    "ballad",
    "lullaby",
    "serenade",
    "requiem",
    "symphony",
    "overture",
    "finale",
    "encore",
    "reverie",
    "nostalgia",
    "euphoria",
    "paradise",
    "heaven",
    "hell",
    "limbo",
    "fever",
    "chill",
    "heat",
    "frost",
    "flame",
    "spark",
    "ember",
    "ash",
    "smoke",
    "cloud",
    "sky",
    "earth",
    "water",
    "wind",
    "sand",
    "dust",
    "bone",
    "blood",
    "tears",
    "smile",
    "kiss",
    "touch",
    "dance",
    "run",
    "fly",
    "fall",
    "rise",
    "shine",
    "glow",
    "fade",
    "bloom",
    "wither",
    "drift",
    "float",
    "sink",
    "swim",
    "climb",
    "jump",
    "spin",
    "turn",
    "wait",
    "stay",
    "leave",
];

pub struct Catalog {
    pub users: i64,
    pub albums: i64,
    pub songs: i64,
    pub playlists_per_user: i64,
}

impl Catalog {
    fn for_songs(songs: i64) -> Self {
        Self {
            users: (songs / 100).max(10),
            albums: (songs / 10).max(1),
            songs,
            playlists_per_user: 2,
        }
    }

    pub fn album_id(i: i64) -> String {
        format!("album-b{i:015}")
    }

    pub fn song_id(i: i64) -> String {
        format!("song-b{i:015}")
    }

    pub fn playlist_id(i: i64) -> String {
        format!("playlist-b{i:015}")
    }
}

pub const PASSWORD: &str = "bench-password";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

/// Bumped whenever the seed changes, so `--reuse` does not keep an older one.
const SEED_VERSION: i64 = 2;

/// Seeds the database `settings` name (`backbeat_bench` unless a benchmark needs a second one).
pub async fn seed(settings: &Settings, options: &Options) -> anyhow::Result<Catalog> {
    let catalog = Catalog::for_songs(options.songs);
    let database = settings.database.name.as_str();
    let url = settings
        .database
        .connection_url()
        .expose_secret()
        .to_owned();
    if options.reuse
        && let Ok(mut conn) = AsyncPgConnection::establish(&url).await
        && let Ok(found) = diesel::sql_query("SELECT count(*) AS count FROM songs")
            .get_result::<Count>(&mut conn)
            .await
        && found.count == catalog.songs
        && let Ok(version) = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM pg_tables WHERE tablename = 'bench_seed_v{SEED_VERSION}'"
        ))
        .get_result::<Count>(&mut conn)
        .await
        && version.count == 1
    {
        eprintln!("reusing {database} ({} songs)", found.count);
        return Ok(catalog);
    }

    let started = std::time::Instant::now();
    let mut admin = AsyncPgConnection::establish(
        settings
            .database
            .connection_url_for("postgres")
            .expose_secret(),
    )
    .await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .await?;
    backbeat_db::migrations::create_database_if_missing(&settings.database).await?;
    backbeat_db::migrations::run(&settings.database, database).await?;

    // Cheap hashes: the benchmark measures the catalog, not scrypt (see `./dev bench-login`).
    let passwords = backbeat_auth::Passwords::new(
        backbeat_config::ScryptSettings {
            log_n: 10,
            r: 8,
            p: 1,
        },
        1,
    )
    .await?;
    let hash = passwords
        .hash(&backbeat_domain::account::Password::parse(
            "password",
            PASSWORD.to_owned(),
        )?)
        .await?;
    let words = format!(
        "ARRAY[{}]",
        WORDS
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let n = WORDS.len();
    let Catalog {
        users,
        albums,
        songs,
        playlists_per_user,
    } = catalog;
    let word = |salt: &str, of: &str| format!("(w.a)[1 + abs(hashtext({of} || '{salt}')) % {n}]");
    let sql = format!(
        r#"
        CREATE TEMP TABLE w AS SELECT {words} AS a;
        CREATE TABLE bench_seed_v{SEED_VERSION} ();
        INSERT INTO users (id, username, password_hash, fullname)
            SELECT 'user-b' || lpad(i::text, 15, '0'), 'bench' || i, '{hash}', 'Bench User ' || i
            FROM generate_series(1, {users}) i;
        INSERT INTO albums (id, name, year, owner_id)
            SELECT 'album-b' || lpad(i::text, 15, '0'), initcap({album_a} || ' ' || {album_b}), 1960 + i % 65,
                   'user-b' || lpad((1 + i % {users})::text, 15, '0')
            FROM generate_series(1, {albums}) i, w;
        INSERT INTO songs (id, title, year, genre, performer, duration, album_id, owner_id, created_at)
            SELECT 'song-b' || lpad(i::text, 15, '0'),
                   initcap({title_a} || ' ' || {title_b} || ' ' || {title_c}),
                   1960 + i % 65,
                   (ARRAY['Pop','Rock','Jazz','Indie','Hip-Hop','Electronic','Folk','Classical'])[1 + i % 8],
                   'The ' || initcap({performer}) || 's',
                   120 + i % 240,
                   'album-b' || lpad((1 + (i - 1) % {albums})::text, 15, '0'),
                   'user-b' || lpad((1 + (i - 1) % {albums} % {users})::text, 15, '0'),
                   now() - ({songs} - i) * interval '1 millisecond'
            FROM generate_series(1, {songs}) i, w;
        INSERT INTO playlists (id, name, owner_id)
            SELECT 'playlist-b' || lpad(i::text, 15, '0'), 'Playlist ' || i,
                   'user-b' || lpad((1 + (i - 1) / {playlists_per_user})::text, 15, '0')
            FROM generate_series(1, {users} * {playlists_per_user}) i;
        INSERT INTO playlist_songs (playlist_id, song_id)
            SELECT 'playlist-b' || lpad(p::text, 15, '0'),
                   'song-b' || lpad((1 + abs(hashtext(p || ':' || k)) % {songs})::text, 15, '0')
            FROM generate_series(1, {users} * {playlists_per_user}) p, generate_series(1, 20) k
            ON CONFLICT DO NOTHING;
        INSERT INTO collaborations (id, playlist_id, user_id)
            SELECT 'collab-b' || lpad(i::text, 15, '0'),
                   'playlist-b' || lpad((1 + (i % {users}) * {playlists_per_user})::text, 15, '0'),
                   'user-b' || lpad(i::text, 15, '0')
            FROM generate_series(1, {users}) i;
        -- Each user likes 50 of the first 1000 albums: about 50 likes per popular album.
        INSERT INTO album_likes (album_id, user_id)
            SELECT 'album-b' || lpad((1 + abs(hashtext(u || ':' || k)) % LEAST(1000, {albums}))::text, 15, '0'),
                   'user-b' || lpad(u::text, 15, '0')
            FROM generate_series(1, {users}) u, generate_series(1, 50) k
            ON CONFLICT DO NOTHING;
        "#,
        album_a = word("aa", "i::text"),
        album_b = word("ab", "i::text"),
        title_a = word("ta", "i::text"),
        title_b = word("tb", "i::text"),
        title_c = word("tc", "i::text"),
        performer = word("pf", "(i % 2000)::text"),
    );
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute(&sql).await?;
    // As after any bulk load: statistics for the planner, and the visibility map that lets
    // index-only scans skip the table (autovacuum would get there, minutes into the bench).
    conn.batch_execute("VACUUM (ANALYZE)").await?;
    eprintln!(
        "seeded {database}: {users} users, {albums} albums, {songs} songs, {} playlists in {:.1} s",
        users * playlists_per_user,
        started.elapsed().as_secs_f64()
    );
    Ok(catalog)
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of the exact query `GET /songs?title=...` runs (first page).
pub async fn explain_search(settings: &Settings, title: &str) -> anyhow::Result<String> {
    let mut conn =
        AsyncPgConnection::establish(settings.database.connection_url().expose_secret()).await?;
    let title = title.replace('\'', "''");
    let plan: Vec<PlanLine> = diesel::sql_query(format!(
        "EXPLAIN (ANALYZE, BUFFERS) SELECT id, title, performer, created_at FROM songs \
         WHERE lower(title) LIKE lower('%{title}%') ORDER BY created_at, id LIMIT 1001"
    ))
    .load(&mut conn)
    .await?;
    Ok(plan
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n"))
}
