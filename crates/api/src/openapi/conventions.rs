//! Rules every operation follows because of how requests are read, written into the document
//! once instead of on each operation.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};

pub fn apply(openapi: &mut OpenApi) {
    let schemas = openapi
        .components
        .as_ref()
        .map(|c| c.schemas.clone())
        .unwrap_or_default();
    for (path, item) in openapi.paths.paths.iter_mut() {
        for (method, operation) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ] {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            // Unique, as OpenAPI requires (the handlers' names repeat across areas: `list`,
            // `get`), and telling: generated clients name their methods after it.
            operation.operation_id = Some(operation_id(method, path));
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                if parameter.parameter_in != ParameterIn::Query {
                    continue;
                }
                let Some(RefOr::T(Schema::Object(object))) = parameter.schema.as_mut() else {
                    continue;
                };
                // A query string cannot say `null`: an optional parameter is absent or has a
                // value.
                if let SchemaType::Array(types) = &object.schema_type {
                    let kept: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    if let [only] = kept.as_slice() {
                        object.schema_type = SchemaType::Type(only.clone());
                    }
                }
                // NUL is refused by `crate::input::storable_query`.
                let text = matches!(&object.schema_type, SchemaType::Type(Type::String));
                if text && object.pattern.is_none() && object.enum_values.is_none() {
                    object.pattern = Some(r"^[^\x00]*$".to_owned());
                }
            }
            // An empty JSON body reads as `{}` (`crate::input`): a body none of whose fields is
            // required may be left out.
            if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                let optional = body.content.get("application/json").is_some_and(|content| {
                    let RefOr::T(content) = content else {
                        return false;
                    };
                    match &content.schema {
                        Some(RefOr::Ref(reference)) => reference
                            .ref_location
                            .rsplit('/')
                            .next()
                            .and_then(|name| schemas.get(name))
                            .is_some_and(requires_nothing),
                        Some(schema) => requires_nothing(schema),
                        None => true,
                    }
                });
                if optional {
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

fn requires_nothing(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object)) if object.required.is_empty())
}

/// `get /albums/{id}/likes` → `getAlbumsByIdLikes`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let (prefix, word) = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            // `{key:.+}` names its parameter before the colon.
            Some(parameter) => ("By", parameter.split(':').next().unwrap_or(parameter)),
            None => ("", segment),
        };
        id.push_str(prefix);
        for part in word.split(['-', '_', '.']).filter(|p| !p.is_empty()) {
            let mut chars = part.chars();
            if let Some(first) = chars.next() {
                id.extend(first.to_uppercase());
                id.push_str(chars.as_str());
            }
        }
    }
    id
}

#[cfg(test)]
mod tests {
    #[test]
    fn operation_ids_follow_the_method_and_path() {
        assert_eq!(
            super::operation_id("get", "/albums/{id}/likes"),
            "getAlbumsByIdLikes"
        );
        assert_eq!(
            super::operation_id("post", "/export/playlists/{playlistId}"),
            "postExportPlaylistsByPlaylistId"
        );
        assert_eq!(super::operation_id("get", "/media/{key}"), "getMediaByKey");
        assert_eq!(
            super::operation_id("get", "/usage-reports/{id}/unmatched"),
            "getUsageReportsByIdUnmatched"
        );
    }
}
