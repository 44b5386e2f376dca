//! Response links: where one operation's output is another's input (the id a `POST` returns,
//! the job a request starts), so that clients and stateful testers can follow them.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, PathItem, RefOr};

/// `(method, path, status)` of the response, the JSON pointer of the value in its body, and the
/// `(method, path, parameter)` of each operation that takes it.
type Feed = (
    (&'static str, &'static str, &'static str),
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);

const JOB: &[(&str, &str, &str)] = &[
    ("get", "/jobs/{id}", "id"),
    ("get", "/jobs/{id}/items", "id"),
];

const FEEDS: &[Feed] = &[
    (
        ("post", "/albums", "201"),
        "/data/albumId",
        &[
            ("get", "/albums/{id}", "id"),
            ("put", "/albums/{id}", "id"),
            ("patch", "/albums/{id}", "id"),
            ("delete", "/albums/{id}", "id"),
            ("get", "/albums/{id}/readiness", "id"),
            ("get", "/albums/{id}/likes", "id"),
            ("post", "/albums/{id}/likes", "id"),
            ("delete", "/albums/{id}/likes", "id"),
            ("post", "/albums/{id}/covers", "id"),
            ("put", "/albums/{id}/artwork", "id"),
            ("get", "/albums/{id}/distributions", "id"),
            ("post", "/albums/{id}/distributions", "id"),
            ("get", "/albums/{id}/analytics", "id"),
        ],
    ),
    (
        ("post", "/songs", "201"),
        "/data/songId",
        &[
            ("get", "/songs/{id}", "id"),
            ("put", "/songs/{id}", "id"),
            ("patch", "/songs/{id}", "id"),
            ("delete", "/songs/{id}", "id"),
            ("put", "/songs/{id}/audio", "id"),
            ("get", "/songs/{id}/splits", "id"),
            ("put", "/songs/{id}/splits", "id"),
            ("get", "/songs/{id}/analytics", "id"),
        ],
    ),
    (
        ("post", "/playlists", "201"),
        "/data/playlistId",
        &[
            ("delete", "/playlists/{id}", "id"),
            ("get", "/playlists/{id}/songs", "id"),
            ("post", "/playlists/{id}/songs", "id"),
            ("delete", "/playlists/{id}/songs", "id"),
            ("get", "/playlists/{id}/activities", "id"),
            ("post", "/export/playlists/{playlistId}", "playlistId"),
        ],
    ),
    (
        ("post", "/artists", "201"),
        "/data/artistId",
        &[
            ("get", "/artists/{id}", "id"),
            ("patch", "/artists/{id}", "id"),
            ("post", "/artists/{id}/verifications", "id"),
        ],
    ),
    (
        ("post", "/artists/{id}/verifications", "201"),
        "/data/verificationId",
        &[
            ("get", "/verifications/{id}", "id"),
            ("post", "/verifications/{id}/check", "id"),
            ("post", "/admin/verifications/{id}/approve", "id"),
            ("post", "/admin/verifications/{id}/reject", "id"),
        ],
    ),
    (
        ("post", "/verifications/{id}/check", "202"),
        "/data/jobId",
        JOB,
    ),
    (
        ("post", "/rooms", "201"),
        "/data/roomId",
        &[
            ("get", "/rooms/{id}", "id"),
            ("post", "/rooms/{id}/members", "id"),
            ("get", "/rooms/{id}/messages", "id"),
        ],
    ),
    (
        ("post", "/tags", "201"),
        "/data/tagId",
        &[
            ("patch", "/tags/{id}", "id"),
            ("delete", "/tags/{id}", "id"),
        ],
    ),
    (("patch", "/videos/sync", "202"), "/data/jobId", JOB),
    (
        ("post", "/platforms", "201"),
        "/data/platformId",
        &[("patch", "/platforms/{id}", "id")],
    ),
    (
        ("post", "/api-keys", "201"),
        "/data/apiKeyId",
        &[("delete", "/api-keys/{id}", "id")],
    ),
    (
        ("post", "/users", "201"),
        "/data/userId",
        &[
            ("patch", "/admin/users/{id}", "id"),
            ("post", "/payees/{userId}/advances", "userId"),
        ],
    ),
    (
        ("post", "/albums/{id}/distributions", "202"),
        "/data/distributions/0/id",
        &[
            ("get", "/distributions/{id}", "id"),
            ("delete", "/distributions/{id}", "id"),
            ("post", "/distributions/{id}/retry", "id"),
        ],
    ),
    (("post", "/distributions/bulk", "202"), "/data/jobId", JOB),
    (
        ("post", "/usage-reports", "202"),
        "/data/reportId",
        &[
            ("get", "/usage-reports/{id}", "id"),
            ("delete", "/usage-reports/{id}", "id"),
            ("get", "/usage-reports/{id}/unmatched", "id"),
            ("get", "/usage-reports/{id}/rejections", "id"),
        ],
    ),
    (("post", "/usage-reports", "202"), "/data/jobId", JOB),
    (
        ("post", "/royalties/runs", "202"),
        "/data/runId",
        &[("get", "/royalties/runs/{id}", "id")],
    ),
    (("post", "/royalties/runs", "202"), "/data/jobId", JOB),
    (
        ("post", "/export/playlists/{playlistId}", "201"),
        "/data/jobId",
        JOB,
    ),
];

pub fn add(openapi: &mut OpenApi) {
    for ((method, path, status), pointer, targets) in FEEDS {
        let Some(response) = openapi
            .paths
            .paths
            .get_mut(*path)
            .and_then(|item| operation(item, method))
            .and_then(|op| op.responses.responses.get_mut(*status))
        else {
            panic!("link source {method} {path} {status} is not documented");
        };
        let RefOr::T(response) = response else {
            continue;
        };
        for (target_method, target_path, parameter) in *targets {
            let link = LinkBuilder::new()
                .operation_ref(format!(
                    "#/paths/{}/{target_method}",
                    target_path.replace('~', "~0").replace('/', "~1")
                ))
                .parameter(
                    format!("path.{parameter}"),
                    format!("$response.body#{pointer}"),
                )
                .build();
            response
                .links
                .insert(link_name(target_method, target_path), RefOr::T(link));
        }
    }
}

fn operation<'a>(
    item: &'a mut PathItem,
    method: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    match method {
        "get" => item.get.as_mut(),
        "put" => item.put.as_mut(),
        "post" => item.post.as_mut(),
        "patch" => item.patch.as_mut(),
        "delete" => item.delete.as_mut(),
        _ => None,
    }
}

/// `("get", "/albums/{id}/likes")` → `getAlbumsLikes`.
fn link_name(method: &str, path: &str) -> String {
    let mut name = method.to_owned();
    for segment in path
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
    {
        for word in segment.split(['-', '.']) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.extend(first.to_uppercase());
                name.push_str(chars.as_str());
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::link_name;

    #[test]
    fn names_links_after_their_target() {
        assert_eq!(link_name("get", "/albums/{id}/likes"), "getAlbumsLikes");
        assert_eq!(link_name("post", "/usage-reports"), "postUsageReports");
    }
}
