//! Authy's checks on what people type: phone numbers per country code, email addresses, and a
//! push's message, detail keys and logos.
//!
//! Authy's exact rules are not on record (authy-api.md A.4.3, A.4.9). The mock checks what any
//! number plan says: the length of the national number in the common countries, the area code
//! of the North American plan, E.164's 15 digits elsewhere; and what the clients it knows
//! truncate or refuse (200-character messages and logo fields, `res` values).

/// A phone number as Authy keeps it: country code and national number, digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PhoneNumber {
    pub(crate) country_code: String,
    pub(crate) national: String,
}

impl PhoneNumber {
    /// Reads a country code (`1`, `+44`) and a number as people type it (`(555) 123-4567`,
    /// `07700 900123`): separators dropped, a trunk `0` dropped where the country dials one.
    pub(crate) fn parse(country_code: &str, number: &str) -> Result<PhoneNumber, PhoneError> {
        let country_code = country_code.trim().trim_start_matches('+');
        if !(1..=3).contains(&country_code.len()) || !all_digits(country_code) {
            return Err(PhoneError::CountryCode);
        }
        let national: String = number
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | ' ' | '(' | ')'))
            .collect();
        if national.is_empty() || !all_digits(&national) {
            return Err(PhoneError::Number);
        }
        let plan = PLANS.iter().find(|p| p.country_code == country_code);
        let national = match plan {
            Some(p) if p.trunk_zero => national.strip_prefix('0').unwrap_or(&national),
            _ => &national,
        };
        let (min, max) = plan.map_or((4, 15 - country_code.len()), |p| (p.min, p.max));
        let fits = (min..=max).contains(&national.len());
        // North America: the area code never starts with 0 or 1.
        let area_ok = country_code != "1" || !national.starts_with(['0', '1']);
        if !(fits && area_ok) {
            return Err(PhoneError::Number);
        }
        Ok(PhoneNumber {
            country_code: country_code.to_owned(),
            national: national.to_owned(),
        })
    }

    /// `1/5551234567`: the number as one key, for limits and lookups.
    pub(crate) fn key(&self) -> String {
        format!("{}/{}", self.country_code, self.national)
    }

    /// `+1 555-123-4567` in North America, `+44 7700900123` elsewhere: how Authy's phone
    /// verification messages show the number.
    pub(crate) fn display(&self) -> String {
        let n = &self.national;
        if self.country_code == "1" {
            format!(
                "+{} {}-{}-{}",
                self.country_code,
                &n[..3],
                &n[3..6],
                &n[6..]
            )
        } else {
            format!("+{} {n}", self.country_code)
        }
    }
}

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhoneError {
    /// Not one to three digits (an optional `+` aside).
    CountryCode,
    /// Not a possible number in that country.
    Number,
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The national number lengths of one country's plan.
struct Plan {
    country_code: &'static str,
    min: usize,
    max: usize,
    /// Dialled at home with a leading `0` that is not part of the number.
    trunk_zero: bool,
}

const fn plan(country_code: &'static str, min: usize, max: usize, trunk_zero: bool) -> Plan {
    Plan {
        country_code,
        min,
        max,
        trunk_zero,
    }
}

/// The countries the mock knows (ITU-T E.164 national significant numbers).
const PLANS: &[Plan] = &[
    plan("1", 10, 10, false),  // United States, Canada and the Caribbean
    plan("7", 10, 10, false),  // Russia, Kazakhstan
    plan("20", 8, 10, true),   // Egypt
    plan("27", 9, 9, true),    // South Africa
    plan("31", 9, 9, true),    // Netherlands
    plan("32", 8, 9, true),    // Belgium
    plan("33", 9, 9, true),    // France
    plan("34", 9, 9, false),   // Spain
    plan("39", 6, 11, false),  // Italy: the leading 0 of landlines is part of the number
    plan("41", 9, 9, true),    // Switzerland
    plan("44", 9, 10, true),   // United Kingdom
    plan("49", 6, 13, true),   // Germany
    plan("52", 10, 10, false), // Mexico
    plan("54", 10, 11, true),  // Argentina
    plan("55", 10, 11, true),  // Brazil
    plan("57", 10, 10, false), // Colombia
    plan("61", 9, 9, true),    // Australia
    plan("81", 9, 10, true),   // Japan
    plan("86", 8, 11, true),   // China
    plan("91", 10, 10, true),  // India
    plan("351", 9, 9, false),  // Portugal
    plan("353", 7, 9, true),   // Ireland
];

/// An email address as Authy accepts it: one `@`, a local part of printable characters, and a
/// domain of dot-separated letters, digits and hyphens ending in a top-level name of two or
/// more letters.
pub(crate) fn email_is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    email.len() <= 254 && local_ok && domain_ok
}

/// The longest push message, logo `res` or logo `url` (the Ruby and Python clients cut there).
pub(crate) const MAX_TEXT: usize = 200;
/// The longest key of a push's details ("Max 20 characters for the Key").
pub(crate) const MAX_DETAIL_KEY: usize = 20;
/// The resolutions a logo may have.
const LOGO_RESOLUTIONS: [&str; 4] = ["default", "low", "med", "high"];

/// A logo as Authy accepts it: exactly `res` (one of four) and an `http(s)` `url`.
pub(crate) fn logo_is_valid(logo: &serde_json::Map<String, serde_json::Value>) -> bool {
    let field = |k: &str| logo.get(k).and_then(serde_json::Value::as_str);
    let res_ok = field("res").is_some_and(|r| LOGO_RESOLUTIONS.contains(&r));
    let url_ok = field("url").is_some_and(|u| {
        u.len() <= MAX_TEXT
            && url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some())
    });
    logo.len() == 2 && res_ok && url_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(cc: &str, n: &str) -> Option<String> {
        PhoneNumber::parse(cc, n)
            .ok()
            .map(|p| format!("{}/{}", p.country_code, p.national))
    }

    #[test]
    fn numbers_per_country() {
        assert_eq!(ok("1", "(555) 123-4567").as_deref(), Some("1/5551234567"));
        assert_eq!(ok("+1", "555.123.4567").as_deref(), Some("1/5551234567"));
        assert_eq!(ok("1", "555123456"), None, "nine digits in North America");
        assert_eq!(ok("1", "15551234567"), None, "the 1 is the country code");
        assert_eq!(ok("1", "0551234567"), None, "no area code starts with 0");
        assert_eq!(ok("44", "07700 900123").as_deref(), Some("44/7700900123"));
        assert_eq!(ok("44", "77009001234"), None, "eleven digits in the UK");
        assert_eq!(ok("33", "06 12 34 56 78").as_deref(), Some("33/612345678"));
        assert_eq!(ok("39", "0612345678").as_deref(), Some("39/0612345678"));
        assert_eq!(ok("91", "98765 4321"), None);
        assert_eq!(ok("998", "901234567").as_deref(), Some("998/901234567"));
        assert_eq!(ok("998", "1234567890123"), None, "over E.164's 15 digits");
        assert_eq!(
            PhoneNumber::parse("1x", "5551234567"),
            Err(PhoneError::CountryCode)
        );
        assert_eq!(PhoneNumber::parse("44", "12"), Err(PhoneError::Number));
        for (cc, n) in [
            ("1", "555-12a-4567"),
            ("1", ""),
            ("", "5551234567"),
            ("1x", "5551234567"),
            ("1234", "5551234567"),
        ] {
            assert_eq!(ok(cc, n), None, "{cc} {n}");
        }
    }

    #[test]
    fn numbers_display_like_authy() {
        let p = PhoneNumber::parse("1", "7754615609").unwrap();
        assert_eq!(p.display(), "+1 775-461-5609");
        assert_eq!(
            PhoneNumber::parse("33", "0612345678").unwrap().display(),
            "+33 612345678"
        );
    }

    #[test]
    fn emails() {
        for good in [
            "a@x.io",
            "ada.lovelace+2fa@mail.example.co.uk",
            "o'brien@example.ie",
        ] {
            assert!(email_is_valid(good), "{good}");
        }
        for bad in [
            "nope", "@x.io", "a@", "a@x", "a@@x.io", "a b@x.io", "a@x..io", ".a@x.io", "a@-x.io",
            "a@x.i0", "a@x.io\n",
        ] {
            assert!(!email_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn logos() {
        let logo = |v: serde_json::Value| logo_is_valid(v.as_object().unwrap());
        assert!(logo(
            serde_json::json!({"res": "low", "url": "https://a.example/l.png"})
        ));
        assert!(!logo(
            serde_json::json!({"res": "tiny", "url": "https://a.example/l.png"})
        ));
        assert!(!logo(
            serde_json::json!({"res": "low", "url": "javascript:alert(1)"})
        ));
        assert!(!logo(serde_json::json!({"res": "low"})));
        assert!(!logo(
            serde_json::json!({"res": "low", "url": "https://a.example/l.png", "alt": "x"})
        ));
        let long = format!("https://a.example/{}", "l".repeat(MAX_TEXT));
        assert!(!logo(serde_json::json!({"res": "low", "url": long})));
    }
}
