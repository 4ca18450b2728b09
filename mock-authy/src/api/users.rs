//! `users/new`: Authy's checks on a new user's email, country code and phone (authy-api.md
//! A.4.3).

use crate::numbering::{self, PhoneError, PhoneNumber};
use crate::params;
use crate::state::Inner;
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub(super) fn users_new(inner: &Arc<Inner>, p: &Map<String, Value>) -> (StatusCode, Value) {
    let user = p
        .get("user")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let field = |k: &str| {
        user.get(k)
            .and_then(params::scalar_text)
            .unwrap_or_default()
    };
    let email = field("email").trim().to_owned();
    let country_code = field("country_code");
    let phone = PhoneNumber::parse(&country_code, &field("cellphone"));

    let mut errors = Map::new();
    if !numbering::email_is_valid(&email) {
        errors.insert("email".into(), json!("is invalid"));
    }
    match &phone {
        Err(PhoneError::CountryCode) => errors.insert("country_code".into(), json!("is invalid")),
        Err(PhoneError::Number) => errors.insert("cellphone".into(), json!("is invalid")),
        Ok(_) => None,
    };
    let (Ok(phone), true) = (phone, errors.is_empty()) else {
        return user_not_valid(errors);
    };
    let id = inner.with_world(|w| {
        w.authy
            .register(&mut w.rng, &email, &phone.national, &phone.country_code)
    });
    tracing::info!(authy_id = id, "user registered");
    (
        StatusCode::OK,
        json!({"message": "User created successfully.", "user": {"id": id}, "success": true}),
    )
}

/// 400 `60027` with each bad field at the top level and under `errors`, as Authy answers.
fn user_not_valid(mut errors: Map<String, Value>) -> (StatusCode, Value) {
    let mut body = Map::new();
    body.insert("message".into(), json!("User was not valid"));
    body.insert("success".into(), json!(false));
    for (k, v) in &errors {
        body.insert(k.clone(), v.clone());
    }
    errors.insert("message".into(), json!("User was not valid"));
    body.insert("errors".into(), Value::Object(errors));
    body.insert("error_code".into(), json!("60027"));
    (StatusCode::BAD_REQUEST, Value::Object(body))
}
