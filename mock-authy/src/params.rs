//! Request parameters as Authy's Rails back end sees them.
//!
//! Real clients send the same logical parameters three ways: in the query string, as a
//! `application/x-www-form-urlencoded` body with Rails bracket keys (`user[email]`,
//! `logos[][res]`, `logos[0][res]`), or as a JSON body. All three are merged into one JSON tree,
//! later sources overriding earlier ones, so that handlers read one shape.

use serde_json::{Map, Value};

/// Why a request's parameters could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamsError {
    /// The body claimed to be JSON but did not parse, or was not an object.
    MalformedJson,
    /// The form body or query string was not valid UTF-8 after decoding, or nested too deep.
    MalformedForm,
}

/// Bracket nesting deeper than this is refused (Rack uses 100; nobody needs more than 5).
const MAX_DEPTH: usize = 16;

/// Merges the query string and body into one object.
pub(crate) fn parse(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, ParamsError> {
    let mut out = Map::new();
    if let Some(q) = query {
        merge_form(&mut out, q.as_bytes())?;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    if is_json(content_type) {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => out.extend(map),
            _ => return Err(ParamsError::MalformedJson),
        }
    } else {
        merge_form(&mut out, body)?;
    }
    Ok(out)
}

/// Whether a body of this content type is read as JSON.
pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.to_ascii_lowercase().contains("json"))
}

/// Parses `a[b][]=v&...` pairs into `out`, Rails style.
pub(crate) fn merge_form(out: &mut Map<String, Value>, input: &[u8]) -> Result<(), ParamsError> {
    for (key, value) in form_urlencoded::parse(input) {
        if key.is_empty() {
            continue;
        }
        let path = split_key(&key)?;
        insert(out, &path, Value::String(value.into_owned()));
    }
    Ok(())
}

/// `a[b][][c]` becomes `["a", "b", "", "c"]`.
fn split_key(key: &str) -> Result<Vec<String>, ParamsError> {
    let (head, mut rest) = match key.find('[') {
        Some(i) if i > 0 => (&key[..i], &key[i..]),
        _ => return Ok(vec![key.to_owned()]),
    };
    let mut parts = vec![head.to_owned()];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else {
            // An unclosed bracket: Rails keeps the remainder as part of the name.
            if let Some(last) = parts.last_mut() {
                last.push_str(rest);
            }
            return Ok(parts);
        };
        parts.push(stripped[..end].to_owned());
        rest = &stripped[end + 1..];
        if parts.len() > MAX_DEPTH {
            return Err(ParamsError::MalformedForm);
        }
    }
    Ok(parts)
}

fn insert(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let (first, rest) = path
        .split_first()
        .expect("split_key never returns an empty path");
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let slot = map.entry(first.clone()).or_insert(Value::Null);
    insert_into(slot, rest, value);
}

fn insert_into(slot: &mut Value, path: &[String], value: Value) {
    let (seg, rest) = path.split_first().expect("non-empty by construction");
    let index = if seg.is_empty() {
        None
    } else if let Ok(i) = seg.parse::<usize>() {
        // Only treat numeric segments as indices where an array is (or can be) here.
        if matches!(slot, Value::Array(_) | Value::Null) && i < 1000 {
            Some(i)
        } else {
            return insert_object(slot, seg, rest, value);
        }
    } else {
        return insert_object(slot, seg, rest, value);
    };
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    let Value::Array(items) = slot else {
        unreachable!("just made an array")
    };
    match index {
        Some(i) => {
            if items.len() <= i {
                items.resize(i + 1, Value::Null);
            }
            if rest.is_empty() {
                items[i] = value;
            } else {
                insert_into(&mut items[i], rest, value);
            }
        }
        None if rest.is_empty() => items.push(value),
        None => {
            // `logos[][res]=a&logos[][url]=b&logos[][res]=c`: a new hash starts whenever the
            // last one already has the key (Rack's rule).
            let key = &rest[0];
            let starts_new = match items.last() {
                Some(Value::Object(last)) => rest.len() == 1 && last.contains_key(key),
                _ => true,
            };
            if starts_new {
                items.push(Value::Object(Map::new()));
            }
            let last = items.last_mut().expect("pushed above if empty");
            insert_into(last, rest, value);
        }
    }
}

fn insert_object(slot: &mut Value, key: &str, rest: &[String], value: Value) {
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    let Value::Object(map) = slot else {
        unreachable!("just made an object")
    };
    let mut path = Vec::with_capacity(rest.len() + 1);
    path.push(key.to_owned());
    path.extend_from_slice(rest);
    insert(map, &path, value);
}

/// Reads a parameter as text: strings as they are, numbers and booleans in their JSON form.
pub(crate) fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    scalar_text(params.get(key)?)
}

pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Authy treats `true`, `1` and `yes` (any case) as true; everything else as false.
pub(crate) fn truthy(params: &Map<String, Value>, key: &str) -> bool {
    text(params, key)
        .is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(s: &str) -> Value {
        Value::Object(
            parse(
                None,
                Some("application/x-www-form-urlencoded"),
                s.as_bytes(),
            )
            .unwrap(),
        )
    }

    #[test]
    fn rails_brackets_nest_into_objects() {
        assert_eq!(
            form("user%5Bemail%5D=a%40b.c&user[cellphone]=555&user[country_code]=%2B44"),
            json!({"user": {"email": "a@b.c", "cellphone": "555", "country_code": "+44"}})
        );
    }

    #[test]
    fn empty_brackets_build_arrays_of_hashes_like_rack() {
        assert_eq!(
            form("logos[][res]=default&logos[][url]=u1&logos[][res]=low&logos[][url]=u2"),
            json!({"logos": [{"res": "default", "url": "u1"}, {"res": "low", "url": "u2"}]})
        );
        assert_eq!(form("a[]=1&a[]=2"), json!({"a": ["1", "2"]}));
    }

    #[test]
    fn indexed_brackets_as_the_node_client_sends_them() {
        assert_eq!(
            form("logos[0][res]=default&logos[0][url]=u1&logos[1][res]=low"),
            json!({"logos": [{"res": "default", "url": "u1"}, {"res": "low"}]})
        );
    }

    #[test]
    fn keys_with_spaces_survive() {
        assert_eq!(
            form("details%5BEmail+Address%5D=x%40y.z"),
            json!({"details": {"Email Address": "x@y.z"}})
        );
    }

    #[test]
    fn query_and_json_body_merge() {
        let m = parse(
            Some("api_key=k&force=true"),
            Some("application/json"),
            br#"{"user":{"email":"e"}}"#,
        )
        .unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"api_key": "k", "force": "true", "user": {"email": "e"}})
        );
    }

    #[test]
    fn malformed_json_is_an_error_and_non_objects_too() {
        assert_eq!(
            parse(None, Some("application/json"), b"{nope"),
            Err(ParamsError::MalformedJson)
        );
        assert_eq!(
            parse(None, Some("application/json"), b"[1]"),
            Err(ParamsError::MalformedJson)
        );
    }

    #[test]
    fn absurd_nesting_is_refused() {
        let key = format!("a{}", "[x]".repeat(40));
        assert_eq!(
            parse(Some(&format!("{key}=1")), None, b""),
            Err(ParamsError::MalformedForm)
        );
    }

    #[test]
    fn unclosed_bracket_stays_in_the_name() {
        assert_eq!(form("a[b=1"), json!({"a[b": "1"}));
    }

    #[test]
    fn truthiness() {
        let m = parse(Some("a=TRUE&b=1&c=false&d=yes"), None, b"").unwrap();
        assert!(truthy(&m, "a") && truthy(&m, "b") && truthy(&m, "d"));
        assert!(!truthy(&m, "c") && !truthy(&m, "missing"));
    }
}
