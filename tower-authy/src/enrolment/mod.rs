//! Enrolment: a user without a second factor sets one up at `{prefix}/enrol`, and a verified
//! user adds another from `{prefix}/factors`. The factor is written to the
//! [`FactorStore`](crate::FactorStore) only once the user has proved they hold it (a code
//! from it), so that a mistyped number cannot lock anyone out. On unless
//! [`TwoFactorBuilder::without_enrolment`](crate::TwoFactorBuilder::without_enrolment).
//!
//! `routes` holds the enrolment's steps, `pages` what they show.

pub(crate) mod pages;
pub(crate) mod routes;

/// Country calling codes a phone form suggests (the digits, and the country or region), the
/// most used first by region: what the enrolment form's country-code field offers in a
/// `<datalist>`, so a person picks "44 United Kingdom" instead of remembering it. Any other
/// code may still be typed.
pub const CALLING_CODES: &[(&str, &str)] = &[
    ("1", "United States, Canada"),
    ("44", "United Kingdom"),
    ("353", "Ireland"),
    ("33", "France"),
    ("49", "Germany"),
    ("34", "Spain"),
    ("39", "Italy"),
    ("351", "Portugal"),
    ("31", "Netherlands"),
    ("32", "Belgium"),
    ("41", "Switzerland"),
    ("43", "Austria"),
    ("45", "Denmark"),
    ("46", "Sweden"),
    ("47", "Norway"),
    ("358", "Finland"),
    ("48", "Poland"),
    ("420", "Czechia"),
    ("30", "Greece"),
    ("90", "Türkiye"),
    ("380", "Ukraine"),
    ("7", "Russia, Kazakhstan"),
    ("972", "Israel"),
    ("971", "United Arab Emirates"),
    ("966", "Saudi Arabia"),
    ("20", "Egypt"),
    ("27", "South Africa"),
    ("234", "Nigeria"),
    ("254", "Kenya"),
    ("91", "India"),
    ("92", "Pakistan"),
    ("880", "Bangladesh"),
    ("86", "China"),
    ("852", "Hong Kong"),
    ("886", "Taiwan"),
    ("81", "Japan"),
    ("82", "South Korea"),
    ("65", "Singapore"),
    ("60", "Malaysia"),
    ("62", "Indonesia"),
    ("63", "Philippines"),
    ("66", "Thailand"),
    ("84", "Vietnam"),
    ("61", "Australia"),
    ("64", "New Zealand"),
    ("52", "Mexico"),
    ("55", "Brazil"),
    ("54", "Argentina"),
    ("56", "Chile"),
    ("57", "Colombia"),
    ("51", "Peru"),
];

/// The QR code of an `otpauth://` URI as inline SVG (black modules, no script, no style).
pub(crate) fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // The renderer starts with an XML declaration, which HTML does not want.
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

/// The secret of an `otpauth://` URI in groups of four, for people who cannot scan.
pub(crate) fn manual_key(uri: &str) -> Option<String> {
    let uri = url::Url::parse(uri).ok()?;
    let (_, secret) = uri.query_pairs().find(|(k, _)| k == "secret")?;
    let chars: Vec<char> = secret.chars().filter(char::is_ascii_alphanumeric).collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    (!groups.is_empty()).then(|| groups.join(" "))
}

/// A phone number as the enrolment form takes it: country code 1 to 3 digits (a `+` allowed),
/// number 4 to 15 digits once spaces, dashes, dots and brackets are dropped.
pub(crate) fn phone(country_code: &str, number: &str) -> Option<(String, String)> {
    let cc = country_code.trim().trim_start_matches('+');
    let digits: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (all_digits(cc) && cc.len() <= 3 && all_digits(&digits) && (4..=15).contains(&digits.len()))
        .then(|| (cc.to_owned(), digits))
}

/// One `@`, something either side, a dot in the domain, no spaces: Authy checks the rest.
pub(crate) fn email(s: &str) -> bool {
    s.len() <= 254
        && !s.chars().any(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suggested_calling_code_is_one_enrolment_accepts_once() {
        let mut seen = std::collections::HashSet::new();
        for (code, country) in CALLING_CODES {
            assert!(seen.insert(code), "{code} twice");
            assert!(!country.is_empty());
            assert_eq!(
                phone(code, "5551234567").map(|(cc, _)| cc),
                Some((*code).to_owned()),
                "{code}"
            );
        }
    }

    #[test]
    fn phones_and_emails() {
        assert_eq!(
            phone("+1", "(555) 123-4567"),
            Some(("1".into(), "5551234567".into()))
        );
        for (cc, n) in [
            ("", "5551234567"),
            ("1234", "5551234567"),
            ("1", "12"),
            ("1", "555-CALL-NOW"),
            ("x", "5551234567"),
        ] {
            assert_eq!(phone(cc, n), None, "{cc} {n}");
        }
        assert!(email("ada@example.com"));
        for bad in ["ada", "ada@example", "a da@example.com", "@example.com"] {
            assert!(!email(bad), "{bad}");
        }
    }

    #[test]
    fn the_qr_code_is_plain_svg() {
        let svg = qr_svg("otpauth://totp/Demo:ada?secret=JBSWY3DPEHPK3PXP&digits=6").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains("style="));
    }
}
