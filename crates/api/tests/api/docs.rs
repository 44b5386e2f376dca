use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn openapi_document_covers_every_route_and_the_bearer_scheme() {
    let app = spawn_app().await;
    let (status, doc) = read(app.request(Method::GET, "/openapi.json", None, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let expected = [
        ("/users", "post"),
        ("/users/me", "get"),
        ("/authentications", "post"),
        ("/authentications", "put"),
        ("/authentications", "delete"),
        ("/albums", "post"),
        ("/albums/{id}", "get"),
        ("/albums/{id}", "put"),
        ("/albums/{id}", "delete"),
        ("/songs", "post"),
        ("/songs", "get"),
        ("/songs/{id}", "get"),
        ("/songs/{id}", "put"),
        ("/songs/{id}", "delete"),
        ("/playlists", "post"),
        ("/playlists", "get"),
        ("/playlists/{id}", "delete"),
        ("/playlists/{id}/songs", "post"),
        ("/playlists/{id}/songs", "get"),
        ("/playlists/{id}/songs", "delete"),
        ("/playlists/{id}/activities", "get"),
        ("/collaborations", "post"),
        ("/collaborations", "delete"),
        ("/albums/{id}/covers", "post"),
        ("/albums/{id}/likes", "post"),
        ("/albums/{id}/likes", "delete"),
        ("/albums/{id}/likes", "get"),
        ("/media/{key}", "get"),
        ("/export/playlists/{playlistId}", "post"),
        ("/jobs/{id}", "get"),
        ("/metrics", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/users/me", "patch"),
        ("/albums/{id}", "patch"),
        ("/albums/{id}/artwork", "put"),
        ("/albums/{id}/readiness", "get"),
        ("/albums/{id}/distributions", "post"),
        ("/albums/{id}/distributions", "get"),
        ("/songs/{id}", "patch"),
        ("/songs/{id}/audio", "put"),
        ("/artists", "post"),
        ("/artists", "get"),
        ("/artists/{id}", "get"),
        ("/artists/{id}", "patch"),
        ("/platforms", "get"),
        ("/platforms", "post"),
        ("/platforms/{id}", "patch"),
        ("/platforms/{id}/test-deliveries", "post"),
        ("/platforms/{id}/test-deliveries", "get"),
        ("/admin/acknowledgements", "get"),
        ("/distributions", "get"),
        ("/distributions/bulk", "post"),
        ("/distributions/{id}", "get"),
        ("/distributions/{id}", "delete"),
        ("/distributions/{id}/retry", "post"),
        ("/jobs/{id}/items", "get"),
        ("/usage-reports", "post"),
        ("/usage-reports", "get"),
        ("/usage-reports/{id}", "get"),
        ("/usage-reports/{id}", "delete"),
        ("/usage-reports/{id}/unmatched", "get"),
        ("/usage-reports/{id}/rejections", "get"),
        ("/songs/{id}/analytics", "get"),
        ("/albums/{id}/analytics", "get"),
        ("/analytics/overview", "get"),
        ("/songs/{id}/splits", "get"),
        ("/songs/{id}/splits", "put"),
        ("/royalties/fx/{period}", "get"),
        ("/royalties/fx/{period}", "put"),
        ("/payees/{userId}/advances", "post"),
        ("/payees/{userId}/payout-threshold", "put"),
        ("/royalties/runs", "post"),
        ("/royalties/runs/{id}", "get"),
        ("/royalties/runs/{id}/approval", "post"),
        ("/royalties/statements", "get"),
        ("/royalties/statements/{id}", "get"),
        ("/royalties/statements/{id}.csv", "get"),
        ("/royalties/statements/{id}.pdf", "get"),
        ("/royalties/statements/{id}/approval", "post"),
        ("/royalties/payouts", "post"),
        ("/royalties/payouts/{id}", "get"),
        ("/royalties/payouts/{id}.csv", "get"),
        ("/royalties/payouts/{id}/paid", "post"),
        ("/royalties/periods/{period}/reversal", "post"),
        ("/api-keys", "post"),
        ("/api-keys", "get"),
        ("/api-keys/{id}", "delete"),
        ("/admin/users", "get"),
        ("/admin/users/{id}", "patch"),
        ("/admin/audit", "get"),
        ("/admin/verifications", "get"),
        ("/admin/verifications/{id}/approve", "post"),
        ("/admin/verifications/{id}/reject", "post"),
        ("/artists/{id}/verifications", "post"),
        ("/verifications/{id}", "get"),
        ("/verifications/{id}/check", "post"),
        ("/rooms", "post"),
        ("/rooms", "get"),
        ("/rooms/{id}", "get"),
        ("/rooms/{id}/members", "post"),
        ("/rooms/{id}/messages", "get"),
        ("/messages/{id}", "delete"),
        ("/videos", "get"),
        ("/videos/{id}", "get"),
        ("/videos/playlist", "get"),
        ("/videos/sync", "patch"),
        ("/videos/{id}/visibility", "patch"),
        ("/videos/{id}/tags", "put"),
        ("/tags", "get"),
        ("/tags", "post"),
        ("/tags/{id}", "patch"),
        ("/tags/{id}", "delete"),
    ];
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty())
        );
        // Every documented route exists: it is neither an unknown route nor a wrong method.
        let response = app
            .request(
                method.to_uppercase().parse().expect("method"),
                path,
                None,
                None,
            )
            .await;
        assert_ne!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        if response.status().is_success() {
            continue;
        }
        let (_, body) = read(response).await;
        assert_ne!(
            body["message"], "route not found",
            "{method} {path} is not routed"
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().expect("ops").len())
        .sum();
    assert_eq!(
        documented,
        expected.len(),
        "a route is documented that the test does not know"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["apiKey"]["name"],
        "X-Api-Key"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(
        doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .is_some_and(|codes| codes.contains(&"INVALID_JSON".into()))
    );
}

#[tokio::test]
async fn docs_page_works_offline() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = client.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers()["location"], "/docs/");

    let page = client.get(app.url("/docs/")).send().await.expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page must not load assets from the internet: {html}"
    );

    let script = client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("sent");
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.bytes().await.expect("js").len() > 100_000);

    let init = client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .expect("sent");
    let init = init.text().await.expect("js");
    assert!(init.contains("/openapi.json"));
    assert!(
        init.contains(r#""validatorUrl": "none""#) || init.contains(r#""validatorUrl":"none""#),
        "{init}"
    );
}

/// The prose documentation (`docs/api`) names every operation the server documents, so a new
/// route cannot ship undescribed.
#[tokio::test]
async fn the_prose_documentation_names_every_documented_operation() {
    let app = spawn_app().await;
    let (_, doc) = read(app.request(Method::GET, "/openapi.json", None, None).await).await;
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api");
    let prose: String = std::fs::read_dir(&folder)
        .expect("docs/api")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("read"))
        .collect();
    let mut missing = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for method in operations.as_object().expect("operations").keys() {
            let named = format!("{} {path}", method.to_uppercase());
            if !prose.contains(&named) {
                missing.push(named);
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/api: {missing:#?}");
}
