//! Authy's paths: duplicate slashes collapsed, segments percent-decoded, then matched.

use super::Endpoint;
use http::Method;

pub(super) enum Route {
    Found(Endpoint, Vec<String>),
    WrongMethod,
    NotFound,
}

pub(super) fn route(method: &Method, segs: &[String]) -> Route {
    use Endpoint as E;
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (endpoint, expected, args): (E, Method, Vec<&str>) = match s.as_slice() {
        ["protected", "json", "users", "new"] => (E::UsersNew, Method::POST, vec![]),
        ["protected", "json", "users", id, "status"] => (E::UserStatus, Method::GET, vec![id]),
        ["protected", "json", "users", id, "remove" | "delete"]
        | ["protected", "json", "users", "delete", id] => (E::UserDelete, Method::POST, vec![id]),
        ["protected", "json", "users", id, "secret"] => (E::Secret, Method::POST, vec![id]),
        ["protected", "json", "sms", id] => (E::Sms, Method::GET, vec![id]),
        ["protected", "json", "call", id] => (E::Call, Method::GET, vec![id]),
        ["protected", "json", "verify", token, id] => (E::Verify, Method::GET, vec![token, id]),
        ["protected", "json", "app", "details"] => (E::AppDetails, Method::GET, vec![]),
        ["protected", "json", "app", "stats"] => (E::AppStats, Method::GET, vec![]),
        ["protected", "json", "users", id, "register_activity"] => {
            (E::RegisterActivity, Method::POST, vec![id])
        }
        ["protected", "json", "email", id] => (E::Email, Method::POST, vec![id]),
        ["protected", "json", "phones", "verification", "start"] => {
            (E::PhoneVerificationStart, Method::POST, vec![])
        }
        ["protected", "json", "phones", "verification", "check"] => {
            (E::PhoneVerificationCheck, Method::GET, vec![])
        }
        ["protected", "json", "phones", "verification", "status"] => {
            (E::PhoneVerificationStatus, Method::GET, vec![])
        }
        ["protected", "json", "phones", "info"] => (E::PhoneInfo, Method::GET, vec![]),
        ["onetouch", "json", "users", id, "approval_requests"] => {
            (E::ApprovalRequestCreate, Method::POST, vec![id])
        }
        ["onetouch", "json", "approval_requests", uuid] => {
            (E::ApprovalRequestGet, Method::GET, vec![uuid])
        }
        _ => return Route::NotFound,
    };
    if *method != expected {
        return Route::WrongMethod;
    }
    Route::Found(endpoint, args.into_iter().map(str::to_owned).collect())
}

/// Splits a path into percent-decoded segments, collapsing duplicate slashes.
pub(super) fn segments(path: &str) -> Option<Vec<String>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    // A `%` not followed by two hex digits, or invalid UTF-8, is a bad request (400).
    let well_formed = s
        .split('%')
        .skip(1)
        .all(|rest| rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// Splits and routes a path for every method; true when some endpoint matched.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_route(path: &str) -> bool {
    segments(path).is_some_and(|segs| {
        [Method::GET, Method::POST]
            .iter()
            .any(|m| matches!(route(m, &segs), Route::Found(..)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_collapse_and_decode() {
        assert_eq!(
            segments("//protected/json//verify/%30123456/7").unwrap(),
            ["protected", "json", "verify", "0123456", "7"]
        );
        assert!(segments("/a/%zz").is_none());
        assert!(segments("/a/%2").is_none());
        assert!(segments("/a/%ff").is_none());
    }
}
