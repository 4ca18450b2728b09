//! The demo's pages: home, sign up, account, and the site layout that also wraps tower-authy's
//! login and second-factor pages. Rendered with maud (every value escaped), with no inline
//! script or style, under the same strict Content-Security-Policy as tower-authy's pages.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;

/// The sign-up form, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) country_code: String,
    #[serde(default)]
    pub(crate) phone: String,
    pub(crate) csrf_token: Option<String>,
}

impl SignupForm {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
    pub(crate) fn email(&self) -> &str {
        &self.email
    }
    pub(crate) fn country_code(&self) -> &str {
        &self.country_code
    }
    pub(crate) fn phone(&self) -> &str {
        &self.phone
    }
}

/// Who the header says is logged in, where the page knows: their login and the session's CSRF
/// token for the "Log out" button.
pub struct LoggedIn<'a> {
    /// What they logged in as.
    pub login: &'a str,
    /// The session's CSRF token.
    pub csrf: &'a str,
}

impl std::fmt::Debug for LoggedIn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggedIn")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// The site's page: header with navigation, then `content`. `head` is extra (trusted) markup
/// for the `<head>`. With `who`, the header names the user and offers "Log out" instead of
/// "Sign up" and "Log in".
fn site(
    title: &str,
    head: PreEscaped<&str>,
    who: Option<&LoggedIn<'_>>,
    content: Markup,
    lang: &str,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Authy demo" }
                (head)
            }
            body {
                header.site {
                    a.brand href="/" { "Authy demo" }
                    nav {
                        @if let Some(who) = who {
                            span.who data-testid="logged-in-as" { "Logged in as " strong { (who.login) } } " "
                            a href="/account" { "Account" } " "
                            form.inline method="post" action="/authy/logout" {
                                input type="hidden" name="csrf_token" value=(who.csrf);
                                button.link type="submit" { "Log out" }
                            }
                        } @else {
                            a href="/signup" { "Sign up" } " "
                            a href="/authy/login" { "Log in" } " "
                            a href="/account" { "Account" }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
    .into_string()
}

fn page(title: &str, content: Markup) -> String {
    page_for(title, None, content)
}

fn page_for(title: &str, who: Option<&LoggedIn<'_>>, content: Markup) -> String {
    let head = r#"<link rel="stylesheet" href="/static/app.css">"#;
    site(title, PreEscaped(head), who, content, "en")
}

/// tower-authy's pages inside the site's header and navigation.
pub fn layout(page: tower_authy::layout::PageParts<'_>) -> String {
    let content = html! { (PreEscaped(page.content_html())) };
    // On the pages only a verified user sees, the header names them as on the demo's own.
    let who = page
        .verified_login()
        .zip(page.csrf_token())
        .map(|(login, csrf)| LoggedIn { login, csrf });
    site(
        page.title(),
        PreEscaped(page.head_html()),
        who.as_ref(),
        content,
        page.lang(),
    )
}

/// The landing page.
pub fn home() -> String {
    page(
        "Welcome",
        html! {
            h1 { "Two-factor authentication with Authy" }
            p {
                "This app asks for a second factor after your password: approve the request on \
                 your phone (Authy OneTouch), or type a code from the Authy app, an SMS or a \
                 phone call."
            }
            p {
                "It runs offline: a simulated Authy answers, and its " em { "virtual phone" }
                " page plays your phone."
            }
            p.actions {
                a.button href="/signup" { "Sign up" } " "
                a.button.secondary href="/authy/login" { "Log in" }
            }
        },
    )
}

/// The sign-up form, refilled after an error (never the password).
pub fn signup(csrf: &str, form: &SignupForm, error: Option<&str>) -> String {
    page(
        "Sign up",
        html! {
            h1 { "Sign up" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form method="post" action="/signup" {
                input type="hidden" name="csrf_token" value=(csrf);
                label for="name" { "Name" }
                input #name name="name" autocomplete="name" required value=(form.name());
                label for="email" { "Email" }
                input #email name="email" type="email" autocomplete="email" required
                    value=(form.email());
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="new-password"
                    minlength="8" required;
                div.phone {
                    div {
                        label for="country_code" { "Country code" }
                        input #country_code name="country_code" inputmode="numeric"
                            autocomplete="tel-country-code" value=(form.country_code())
                            list="calling-codes" placeholder="1";
                        datalist #calling-codes {
                            @for (code, country) in tower_authy::enrolment::CALLING_CODES {
                                option value=(code) { (country) }
                            }
                        }
                    }
                    div {
                        label for="phone" { "Phone" }
                        input #phone name="phone" type="tel" autocomplete="tel-national"
                            value=(form.phone());
                    }
                }
                button type="submit" { "Sign up" }
            }
            p.hint {
                "Your phone number is registered with Authy, which sends the approval requests \
                 and codes. Leave it empty to add it at your first login."
            }
        },
    )
}

/// The account page's security section: recent activity and the notices "emailed".
#[derive(Debug)]
pub struct Security<'a> {
    /// Newest first.
    pub activity: &'a [crate::activity::Entry],
    /// Subjects of the notices, newest first.
    pub mailbox: &'a [String],
}

/// The protected page.
pub fn account(
    name: &str,
    who: &LoggedIn<'_>,
    factors: &[tower_authy::factors::Factor],
    security: &Security<'_>,
) -> String {
    let csrf = who.csrf;
    page_for(
        "Account",
        Some(who),
        html! {
            h1 { "Your account" }
            p.success {
                "Welcome, " (name) ". You logged in with your password and a second factor."
            }
            h2 { "Your ways to sign in" }
            @if factors.is_empty() {
                p { "None yet." }
            } @else {
                ul.factors data-testid="account-factors" {
                    @for f in factors {
                        li {
                            strong { (f.label) } " · " (kind(f.kind))
                            " · "
                            @match f.last_used_at {
                                Some(at) => { "last used " (date(at)) }
                                None => { "not used yet" }
                            }
                        }
                    }
                }
            }
            h2 { "Recent security activity" }
            ol.activity data-testid="security-activity" {
                @for e in security.activity {
                    li {
                        (e.what) " · " (moment(e.at))
                        @if let Some(from) = &e.client { " · from " (from) }
                    }
                }
            }
            @if !security.mailbox.is_empty() {
                h2 { "Notices emailed to you" }
                p.hint { "The demo sends no mail: these would have gone to " (who.login) "." }
                ul data-testid="mailbox" {
                    @for subject in security.mailbox { li { (subject) } }
                }
            }
            h2 { "Settings" }
            ul {
                li { a href="/authy/recovery-codes" { "Recovery codes" } ": for the day your phone is lost" }
                li { a href="/authy/devices" { "Remembered devices" } ": browsers where your password is enough" }
                li { a href="/authy/factors" { "Ways to sign in" } ": your phone, your authenticator apps; add or remove one" }
            }
            form method="post" action="/authy/logout" {
                input type="hidden" name="csrf_token" value=(csrf);
                button.secondary type="submit" { "Log out" }
            }
        },
    )
}

/// A short message page.
pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        html! {
            h1 { (title) }
            p { (text) }
            p { a href="/" { "Home" } }
        },
    )
}

/// A factor's kind as the account page says it.
fn kind(kind: tower_authy::factors::FactorKind) -> &'static str {
    match kind {
        tower_authy::factors::FactorKind::Push => "phone (push and codes)",
        tower_authy::factors::FactorKind::App => "authenticator app",
        tower_authy::factors::FactorKind::Phone => "codes by SMS or call",
        _ => "second factor",
    }
}

/// `2026-12-28 14:05 UTC`: a moment as the activity list shows it.
fn moment(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()))
        .unwrap_or_default()
}

/// `2026-12-28`: a day as the pages show it (UTC).
fn date(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}
