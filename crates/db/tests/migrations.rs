//! The schema and the migrations agree, and migrating is safe to run concurrently and repeatedly.

use std::collections::BTreeSet;

use backbeat_testkit::TestDatabase;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    is_nullable: String,
}

/// (table, column, diesel type) triples declared in `schema.rs`, read from its source.
fn declared() -> BTreeSet<(String, String, String)> {
    let source = include_str!("../src/schema.rs");
    let mut out = BTreeSet::new();
    let mut table = None;
    for line in source.lines().map(str::trim) {
        if let Some((name, _)) = line
            .split_once(" (")
            .filter(|_| line.ends_with('{') && !line.contains("->"))
        {
            table = Some(name.trim().to_owned());
        } else if let (Some(t), Some((column, ty))) = (&table, line.split_once(" -> ")) {
            out.insert((
                t.clone(),
                column.trim().to_owned(),
                ty.trim_end_matches(',').trim().to_owned(),
            ));
        } else if line == "}" {
            table = None;
        }
    }
    out
}

fn diesel_type(udt: &str, nullable: bool) -> String {
    let base = match udt {
        "text" | "varchar" => "Text",
        "bytea" => "Bytea",
        "timestamptz" => "Timestamptz",
        "int4" => "Int4",
        "int8" => "Int8",
        "int2" => "Int2",
        "bool" => "Bool",
        "jsonb" => "Jsonb",
        "numeric" => "Numeric",
        "float8" => "Float8",
        "date" => "Date",
        "uuid" => "Uuid",
        "_text" => "Array<Text>",
        other => other,
    };
    if nullable {
        format!("Nullable<{base}>")
    } else {
        base.to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_matches_migrations() {
    let db = TestDatabase::create().await;
    let mut conn = db.connect().await;
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .await
    .expect("columns");
    let actual: BTreeSet<_> = columns
        .into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                diesel_type(&c.udt_name, c.is_nullable == "YES"),
            )
        })
        .collect();
    let declared = declared();
    assert!(!declared.is_empty());
    let missing: Vec<_> = actual.difference(&declared).collect();
    let extra: Vec<_> = declared.difference(&actual).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "in the database only: {missing:#?}\nin schema.rs only: {extra:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrations_apply_once() {
    let db = TestDatabase::create_empty().await;
    let settings = db.settings().database;
    let runs = (0..4).map(|_| backbeat_db::migrations::run(&settings, &db.name));
    let results = futures_util::future::join_all(runs).await;
    let applied: usize = results
        .into_iter()
        .map(|r| r.expect("migration succeeds").len())
        .sum();
    let total = std::fs::read_dir(backbeat_testkit::migrations_dir())
        .expect("dir")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(
        applied, total,
        "each migration applied exactly once across the concurrent runs"
    );
    let again = backbeat_db::migrations::run(&settings, &db.name)
        .await
        .expect("rerun");
    assert!(again.is_empty());
}
