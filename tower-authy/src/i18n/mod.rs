//! The pages in the user's language: every built-in page and message comes from a
//! [Project Fluent](https://projectfluent.org) catalogue, in the language the request's
//! `Accept-Language` prefers among those available, English when none is.
//!
//! tower-authy ships English and French ([`SHIPPED`]; each file lists every message id).
//! An application adds a language, or changes wording in a shipped one, with
//! [`TwoFactorBuilder::messages`](crate::TwoFactorBuilder::messages) (its messages override the
//! shipped ones of the same id; any it leaves out fall back to English), and can choose the
//! language itself (a user's setting, a cookie) with
//! [`TwoFactorBuilder::choose_language`](crate::TwoFactorBuilder::choose_language).
//!
//! ```
//! # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
//! let two_factor = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
//!     .callback_url("https://app.example/authy/callback")
//!     // Our own wording for the login page's title, in English.
//!     .messages("en", "login-title = Sign in to Example")
//!     // German, for the pages we have translated; the rest falls back to English.
//!     .messages("de", "login-title = Anmelden\nsecond-step-title = Zweiter Schritt")
//!     .build()
//!     .unwrap();
//! # drop(two_factor);
//! ```

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use http::HeaderMap;
use std::sync::Arc;
use unic_langid::LanguageIdentifier;

/// The languages tower-authy ships, and each one's Fluent source: English first.
pub const SHIPPED: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.ftl")),
    ("fr", include_str!("../../locales/fr.ftl")),
];

/// Why the builder refused a catalogue given to
/// [`TwoFactorBuilder::messages`](crate::TwoFactorBuilder::messages).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessagesError {
    /// Not a language tag such as `de` or `pt-BR`.
    #[error("{0:?} is not a language tag")]
    Language(String),
    /// The Fluent source does not parse.
    #[error("the messages for {language} do not parse as Fluent (first error at byte {at})")]
    Syntax {
        /// The language they were given for.
        language: String,
        /// Where the first error starts, in bytes.
        at: usize,
    },
}

/// Picks a request's language from its headers; `None` leaves it to `Accept-Language`.
pub(crate) type Chooser = Arc<dyn Fn(&HeaderMap) -> Option<String> + Send + Sync>;

/// The catalogue: a bundle per language, English first.
pub(crate) struct Messages {
    languages: Vec<LanguageIdentifier>,
    bundles: Vec<FluentBundle<FluentResource>>,
    choose: Option<Chooser>,
}

impl Messages {
    /// The shipped languages with the application's `extra` messages (language, Fluent
    /// source) layered over them, in order.
    pub(crate) fn build(
        extra: &[(String, String)],
        choose: Option<Chooser>,
    ) -> Result<Messages, MessagesError> {
        let mut m = Messages {
            languages: Vec::new(),
            bundles: Vec::new(),
            choose,
        };
        for (language, source) in SHIPPED {
            m.add(language, source)?;
        }
        for (language, source) in extra {
            m.add(language, source)?;
        }
        Ok(m)
    }

    fn add(&mut self, language: &str, source: &str) -> Result<(), MessagesError> {
        let id: LanguageIdentifier = language
            .parse()
            .map_err(|_| MessagesError::Language(language.to_owned()))?;
        let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
            MessagesError::Syntax {
                language: language.to_owned(),
                at: errors.first().map_or(0, |e| e.pos.start),
            }
        })?;
        let index = match self.languages.iter().position(|l| *l == id) {
            Some(i) => i,
            None => {
                let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
                // Plain text: the pages escape it, and tests read it.
                bundle.set_use_isolating(false);
                self.languages.push(id);
                self.bundles.push(bundle);
                self.bundles.len() - 1
            }
        };
        self.bundles[index].add_resource_overriding(resource);
        Ok(())
    }

    /// The language for a request: the application's choice when it makes one we have, else
    /// the best of `Accept-Language`, else English.
    pub(crate) fn pick(&self, headers: &HeaderMap) -> Language {
        let mut wanted: Vec<LanguageIdentifier> = Vec::new();
        if let Some(choice) = self.choose.as_ref().and_then(|c| c(headers))
            && let Ok(id) = choice.parse()
        {
            wanted.push(id);
        }
        if let Some(accept) = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 256)
        {
            wanted.extend(fluent_langneg::accepted_languages::parse(accept));
        }
        if wanted.is_empty() {
            return Language(0);
        }
        let chosen = negotiate_languages(
            &wanted,
            &self.languages,
            Some(&self.languages[0]),
            NegotiationStrategy::Lookup,
        );
        let index = chosen
            .first()
            .and_then(|c| self.languages.iter().position(|l| l == *c))
            .unwrap_or(0);
        Language(index)
    }

    /// The message `id` (or its attribute `attr`) in `language`, falling back to English, then
    /// to the id itself.
    pub(crate) fn text(
        &self,
        language: Language,
        id: &str,
        attr: Option<&str>,
        args: Option<&FluentArgs<'_>>,
    ) -> String {
        self.lookup(language, id, attr, args)
            .unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` (or its attribute `attr`) in `language`, falling back to English;
    /// `None` when neither has it.
    fn lookup(
        &self,
        language: Language,
        id: &str,
        attr: Option<&str>,
        args: Option<&FluentArgs<'_>>,
    ) -> Option<String> {
        for bundle in [&self.bundles[language.0], &self.bundles[0]] {
            let Some(message) = bundle.get_message(id) else {
                continue;
            };
            let pattern = match attr {
                Some(a) => message.get_attribute(a).map(|a| a.value()),
                None => message.value(),
            };
            if let Some(pattern) = pattern {
                let mut errors = Vec::new();
                return Some(
                    bundle
                        .format_pattern(pattern, args, &mut errors)
                        .into_owned(),
                );
            }
        }
        None
    }

    /// The language tag, for `<html lang>`.
    pub(crate) fn tag(&self, language: Language) -> String {
        self.languages[language.0].to_string()
    }
}

/// A language of the catalogue, as picked for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Language(usize);

/// Messages in one language: what the pages and answers of one request are written with.
#[derive(Clone, Copy)]
pub(crate) struct Tr<'a> {
    pub(crate) messages: &'a Messages,
    pub(crate) language: Language,
}

impl Tr<'_> {
    /// The message `id`.
    pub(crate) fn t(&self, id: &str) -> String {
        self.messages.text(self.language, id, None, None)
    }

    /// The message `id`, if the catalogue has it (in this language or English).
    pub(crate) fn get(&self, id: &str) -> Option<String> {
        self.messages.lookup(self.language, id, None, None)
    }

    /// The message `id` with its variables.
    pub(crate) fn with(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, *value);
        }
        self.messages.text(self.language, id, None, Some(&fluent))
    }

    /// The message `id`'s attribute `attr` (a problem's `.detail`).
    pub(crate) fn attr(&self, id: &str, attr: &str) -> String {
        self.messages.text(self.language, id, Some(attr), None)
    }

    /// The language's tag.
    pub(crate) fn tag(&self) -> String {
        self.messages.tag(self.language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every message id, with its attributes (`id.detail`), in a Fluent source.
    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned()).expect("parses");
        let mut all = BTreeSet::new();
        for entry in resource.entries() {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                all.insert(m.id.name.to_owned());
                for a in &m.attributes {
                    all.insert(format!("{}.{}", m.id.name, a.id.name));
                }
            }
        }
        all
    }

    #[test]
    fn every_message_exists_in_every_shipped_language() {
        let english = ids(SHIPPED[0].1);
        assert!(english.len() > 100, "{}", english.len());
        for (language, source) in &SHIPPED[1..] {
            let theirs = ids(source);
            let missing: Vec<_> = english.difference(&theirs).collect();
            let extra: Vec<_> = theirs.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{language}: missing {missing:?}, unknown {extra:?}"
            );
        }
    }

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::ACCEPT_LANGUAGE, accept.parse().unwrap());
        h
    }

    #[test]
    fn the_language_follows_accept_language_then_the_application() {
        let m = Messages::build(&[], None).unwrap();
        let tr = |h: &HeaderMap| m.tag(m.pick(h));
        assert_eq!(tr(&HeaderMap::new()), "en");
        assert_eq!(tr(&headers("fr-CA,fr;q=0.9,en;q=0.5")), "fr");
        assert_eq!(tr(&headers("de-DE,de;q=0.9")), "en", "none we have");
        assert_eq!(tr(&headers("de, fr;q=0.5")), "fr");
        let chosen = Messages::build(&[], Some(Arc::new(|_: &HeaderMap| Some("fr".into()))));
        let chosen = chosen.unwrap();
        assert_eq!(chosen.tag(chosen.pick(&headers("en"))), "fr");
    }

    #[test]
    fn applications_add_languages_and_override_wording() {
        let extra = [
            (
                "en".to_owned(),
                "login-title = Sign in to Example".to_owned(),
            ),
            ("de".to_owned(), "login-title = Anmelden".to_owned()),
        ];
        let m = Messages::build(&extra, None).unwrap();
        let en = Tr {
            messages: &m,
            language: m.pick(&HeaderMap::new()),
        };
        let de = Tr {
            messages: &m,
            language: m.pick(&headers("de")),
        };
        assert_eq!(en.t("login-title"), "Sign in to Example");
        assert_eq!(de.t("login-title"), "Anmelden");
        assert_eq!(
            de.t("login-button"),
            en.t("login-button"),
            "falls back to English"
        );
        assert!(matches!(
            Messages::build(&[("xx-!".into(), String::new())], None),
            Err(MessagesError::Language(_))
        ));
        assert!(matches!(
            Messages::build(&[("de".into(), "= no id".into())], None),
            Err(MessagesError::Syntax { .. })
        ));
    }
}
