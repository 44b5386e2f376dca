//! The song search finds what ILIKE `%term%` finds, in listing order, whether PostgreSQL plans it
//! for its terms (large catalogs) or reuses the connection's plan (small ones).

use backbeat_db::songs::{self, Song, SongSearch};
use backbeat_domain::ids::SongId;
use backbeat_testkit::TestDatabase;
use diesel_async::AsyncPgConnection;

const SONGS: &[(&str, &str)] = &[
    ("Crimson Velvet Thunder", "The Velvets"),
    ("Velvet Thunder Angel", "Björk"),
    ("Thunder Velvet", "BJÖRK"),
    ("Velvet  Thunder", "Ünder"),
    ("100% Pure_Love", "A\\B"),
    ("Gloves of Love", "the lovers"),
    ("ÉTÉ", "Les Étés"),
];

async fn seeded() -> (TestDatabase, AsyncPgConnection) {
    let db = TestDatabase::create().await;
    let mut conn = db.connect().await;
    for (i, (title, performer)) in SONGS.iter().enumerate() {
        let song = Song {
            id: SongId::from(format!("song-search-{i:04}")),
            title: (*title).to_owned(),
            year: 2020,
            genre: "Pop".to_owned(),
            performer: (*performer).to_owned(),
            duration: None,
            album_id: None,
            owner_id: None,
        };
        songs::insert(&mut conn, &song).await.expect("insert");
    }
    (db, conn)
}

async fn titles(
    conn: &mut AsyncPgConnection,
    title: Option<&str>,
    performer: Option<&str>,
    plan_for_terms: bool,
) -> Vec<String> {
    let search = SongSearch {
        title,
        performer,
        after: None,
        limit: 100,
        plan_for_terms,
    };
    let (found, next) = songs::search(conn, &search).await.expect("search");
    assert!(next.is_none());
    found.into_iter().map(|s| s.title).collect()
}

#[tokio::test]
async fn both_plans_find_exactly_the_songs_containing_the_term() {
    let (_db, mut conn) = seeded().await;
    let cases: &[(Option<&str>, Option<&str>, &[&str])] = &[
        // Several words: the words anywhere are not enough, the exact term must be there.
        (
            Some("velvet thunder"),
            None,
            &["Crimson Velvet Thunder", "Velvet Thunder Angel"],
        ),
        (Some("VELVET  THUNDER"), None, &["Velvet  Thunder"]),
        (
            Some("vet thun"),
            None,
            &["Crimson Velvet Thunder", "Velvet Thunder Angel"],
        ),
        // One word, inside other words too.
        (Some("love"), None, &["100% Pure_Love", "Gloves of Love"]),
        // Wildcards are literal, alone or beside words.
        (Some("%"), None, &["100% Pure_Love"]),
        (Some("0% pure_"), None, &["100% Pure_Love"]),
        (Some("e_l"), None, &["100% Pure_Love"]),
        (None, Some("a\\b"), &["100% Pure_Love"]),
        // Short words alone (no trigram) still match.
        (
            Some("ve"),
            Some("ö"),
            &["Velvet Thunder Angel", "Thunder Velvet"],
        ),
        // Case folds beyond ASCII.
        (Some("été"), Some("LES ÉTÉS"), &["ÉTÉ"]),
        (
            None,
            Some("björk"),
            &["Velvet Thunder Angel", "Thunder Velvet"],
        ),
        (
            Some("thunder"),
            Some("velvets"),
            &["Crimson Velvet Thunder"],
        ),
        (Some("no such words"), None, &[]),
    ];
    for (title, performer, expected) in cases {
        for plan_for_terms in [false, true] {
            assert_eq!(
                titles(&mut conn, *title, *performer, plan_for_terms).await,
                *expected,
                "title {title:?}, performer {performer:?}, planned for its terms: {plan_for_terms}"
            );
        }
    }
}
