//! Reading request bodies: JSON read under a size limit, then checked field by field so a wrong
//! type names the field at fault (`"year" must be a number`) instead of a generic parse error.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use backbeat_domain::FieldError;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON object body. An empty body reads as `{}` so that missing fields are reported by name
/// (openMusic clients send DELETE bodies, and sometimes none). Properties no route reads are
/// ignored, whatever they hold.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl JsonObject {
    /// Takes a property out; one holding NUL anywhere (which no text column can store) is
    /// refused by name.
    pub fn take(&mut self, field: &str) -> Result<Option<Value>, FieldError> {
        match self.0.remove(field) {
            Some(value) if holds_nul(&value) => {
                Err(FieldError::new(field, "must not contain NUL characters"))
            }
            value => Ok(value),
        }
    }
}

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1024 * 1024, |s| s.settings.server.json_limit_bytes);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.to_ascii_lowercase());
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let declared = content_type.as_deref().is_some_and(|ct| !ct.is_empty());
            if let Some(ct) = content_type.filter(|ct| !ct.is_empty()) {
                let essence = ct.split(';').next().unwrap_or_default().trim();
                if essence != "application/json" && !essence.ends_with("+json") {
                    return Err(ApiError::UnsupportedMediaType(
                        "request body must be application/json".to_owned(),
                    ));
                }
            }
            let too_large =
                || ApiError::PayloadTooLarge(format!("request body exceeds {limit} bytes"));
            if declared_length.is_some_and(|len| len > limit) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::InvalidJson(format!("cannot read body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            // No body at all reads as `{}`; a body declared JSON must be JSON.
            if body.is_empty() || (!declared && body.iter().all(u8::is_ascii_whitespace)) {
                return Ok(JsonObject(Map::new()));
            }
            // A body must say what it is: one without `Content-Type` is not taken for JSON.
            if !declared {
                return Err(ApiError::UnsupportedMediaType(
                    "request body must be sent as Content-Type: application/json".to_owned(),
                ));
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => Ok(JsonObject(map)),
                Ok(_) => Err(ApiError::InvalidJson(
                    "request body must be a JSON object".to_owned(),
                )),
                Err(e) => Err(ApiError::InvalidJson(format!(
                    "request body is not valid JSON: {e}"
                ))),
            }
        })
    }
}

/// Refuses a query parameter holding NUL (`%00`), which no text column can store or compare, by
/// name, before any handler reads it.
pub async fn storable_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // NUL reaches a query only percent-encoded: most requests skip the parse.
    if !req.query_string().contains("%00") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let unstorable: Vec<FieldError> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|pairs| {
                pairs
                    .0
                    .into_iter()
                    .filter(|(name, value)| name.contains('\0') || value.contains('\0'))
                    .map(|(name, _)| {
                        FieldError::new(name.replace('\0', ""), "must not contain NUL characters")
                    })
                    .collect()
            })
            .unwrap_or_default();
    if !unstorable.is_empty() {
        let response = req.error_response(ApiError::Validation(unstorable));
        return Ok(response);
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A JSON number as an integer, as JSON Schema counts them: `2008` and `2008.0`, not `2008.5`
/// (a float only within the range where it holds every integer exactly).
pub fn integer_of(n: &serde_json::Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() <= EXACT).then_some(f as i64)
    })
}

/// Whether a string anywhere in `value` holds NUL, which no text column can store.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Collects every field error of a body, then fails once with all of them.
#[derive(Debug)]
pub struct Fields {
    body: JsonObject,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(body: JsonObject) -> Self {
        Self {
            body,
            errors: Vec::new(),
        }
    }

    /// The property, if storable (see [`JsonObject::take`]); `Err` once its error is recorded.
    fn take(&mut self, field: &str) -> Result<Option<Value>, ()> {
        self.body.take(field).map_err(|e| self.errors.push(e))
    }

    fn fail<T>(&mut self, field: &str, message: &str) -> Option<T> {
        self.errors.push(FieldError::new(field, message));
        None
    }

    /// A string that must be present.
    pub fn string(&mut self, field: &str) -> Option<String> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None | Some(Value::Null) => self.fail(field, "is required"),
            Some(Value::String(s)) => Some(s),
            Some(_) => self.fail(field, "must be a string"),
        }
    }

    /// A string that may be absent or null.
    pub fn optional_string(&mut self, field: &str) -> Option<String> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => self.fail(field, "must be a string"),
        }
    }

    /// An integer that must be present; `2008.0` is one (as JSON Schema counts), `"2008"` and
    /// `2008.5` are rejected.
    pub fn integer(&mut self, field: &str) -> Option<i64> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None | Some(Value::Null) => self.fail(field, "is required"),
            Some(value) => self.integer_value(field, value),
        }
    }

    /// An integer that may be absent or null.
    pub fn optional_integer(&mut self, field: &str) -> Option<i64> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None | Some(Value::Null) => None,
            Some(value) => self.integer_value(field, value),
        }
    }

    fn integer_value(&mut self, field: &str, value: Value) -> Option<i64> {
        match value {
            Value::Number(n) => match integer_of(&n) {
                Some(i) => Some(i),
                None => self.fail(field, "must be an integer"),
            },
            _ => self.fail(field, "must be a number"),
        }
    }

    /// For partial updates: absent → `None` (leave it), `null` → `Some(None)` (clear it),
    /// a string → `Some(Some(..))`.
    pub fn patch_string(&mut self, field: &str) -> Option<Option<String>> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => self.fail(field, "must be a string or null"),
        }
    }

    /// Like [`Fields::patch_string`], for integers.
    pub fn patch_integer(&mut self, field: &str) -> Option<Option<i64>> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => self.integer_value(field, value).map(Some),
        }
    }

    /// A string that may be absent (but not null: the field cannot be cleared).
    pub fn present_string(&mut self, field: &str) -> Option<String> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => self.fail(field, "must be a string"),
        }
    }

    /// An integer that may be absent (but not null).
    pub fn present_integer(&mut self, field: &str) -> Option<i64> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(value) => self.integer_value(field, value),
        }
    }

    /// A boolean that may be absent (but not null).
    pub fn present_bool(&mut self, field: &str) -> Option<bool> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => self.fail(field, "must be a boolean"),
        }
    }

    /// An array of strings: absent → `None`, `null` → `Some(None)`.
    pub fn patch_strings(&mut self, field: &str) -> Option<Option<Vec<String>>> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                match strings {
                    Some(strings) => Some(Some(strings)),
                    None => self.fail(field, "must be an array of strings"),
                }
            }
            Some(_) => self.fail(field, "must be an array of strings"),
        }
    }

    /// An array of objects: absent → `None`, `null` → `Some(None)`.
    pub fn patch_objects(&mut self, field: &str) -> Option<Option<Vec<Map<String, Value>>>> {
        let Ok(value) = self.take(field) else {
            return None;
        };
        match value {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Array(items)) => {
                let objects: Option<Vec<Map<String, Value>>> = items
                    .into_iter()
                    .map(|v| match v {
                        Value::Object(o) => Some(o),
                        _ => None,
                    })
                    .collect();
                match objects {
                    Some(objects) => Some(Some(objects)),
                    None => self.fail(field, "must be an array of objects"),
                }
            }
            Some(_) => self.fail(field, "must be an array of objects"),
        }
    }

    /// Parses the value of a partial-update field, keeping `None` (absent) and `Some(None)`
    /// (null) as they are.
    pub fn parse_patch<R, T>(
        &mut self,
        raw: Option<Option<R>>,
        parse: impl FnOnce(R) -> Result<T, FieldError>,
    ) -> Option<Option<T>> {
        match raw {
            None => None,
            Some(None) => Some(None),
            Some(Some(value)) => match parse(value) {
                Ok(parsed) => Some(Some(parsed)),
                Err(error) => {
                    self.errors.push(error);
                    None
                }
            },
        }
    }

    /// A required array of ids, each at most once, 1 to `max` of them.
    pub fn ids<T: From<String> + PartialEq + std::fmt::Display>(
        &mut self,
        field: &str,
        max: usize,
    ) -> Option<Vec<T>> {
        match self.optional_ids(field, max) {
            Some(Some(ids)) => Some(ids),
            None if !self.errors.iter().any(|e| e.field == field) => {
                self.fail(field, "is required")
            }
            Some(None) => self.fail(field, &format!("must name 1 to {max} ids")),
            None => None,
        }
    }

    /// An optional array of ids, each at most once, 1 to `max` of them: absent or invalid →
    /// `None`, `null` → `Some(None)`.
    pub fn optional_ids<T: From<String> + PartialEq + std::fmt::Display>(
        &mut self,
        field: &str,
        max: usize,
    ) -> Option<Option<Vec<T>>> {
        let raw = self.patch_strings(field);
        self.parse_patch(raw, |list| {
            if list.is_empty() || list.len() > max {
                return Err(FieldError::new(field, format!("must name 1 to {max} ids")));
            }
            let mut seen = std::collections::HashSet::with_capacity(list.len());
            let mut ids = Vec::with_capacity(list.len());
            for id in list {
                let id = backbeat_domain::catalog::reference(field, id)?;
                if !seen.insert(id.clone()) {
                    return Err(FieldError::new(field, format!("names {id} twice")));
                }
                ids.push(T::from(id));
            }
            Ok(ids)
        })
    }

    /// Whether an error was already recorded for `field`.
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// Records a validation error found outside the readers above.
    pub fn error(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Records a domain parse failure, passing a success through.
    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.errors.push(e)).ok()
    }

    /// Fails with every error found (for bodies read field by field into `Option`s).
    pub fn done(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// Fails with every error found, or returns the values read (all present when no error was
    /// recorded). Optional fields are passed wrapped: `Some(f.optional_string("albumId"))`.
    pub fn finish<V: AllPresent>(self, values: V) -> Result<V::Output, ApiError> {
        if !self.errors.is_empty() {
            return Err(ApiError::Validation(self.errors));
        }
        values.all_present().ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("a field read without error is missing"))
        })
    }
}

/// A tuple of `Option`s that are all `Some` once validation passed.
pub trait AllPresent {
    type Output;
    fn all_present(self) -> Option<Self::Output>;
}

macro_rules! all_present {
    ($($name:ident),+) => {
        impl<$($name),+> AllPresent for ($(Option<$name>,)+) {
            type Output = ($($name,)+);
            #[allow(non_snake_case)]
            fn all_present(self) -> Option<Self::Output> {
                let ($($name,)+) = self;
                Some(($($name?,)+))
            }
        }
    };
}
all_present!(A);
all_present!(A, B);
all_present!(A, B, C);
all_present!(A, B, C, D);
all_present!(A, B, C, D, E);
all_present!(A, B, C, D, E, F);
