//! The built-in HTML pages: plain, accessible, readable on a phone, nothing fetched from
//! elsewhere. Rendered with maud, whose one escaping path covers every interpolated value; no
//! inline script or style, so the strict Content-Security-Policy holds. An application's
//! [`Layout`](crate::layout::Layout) wraps them in its own page.

use crate::config::Shared;
use crate::layout::PageParts;
use crate::store::Challenge;
use maud::{DOCTYPE, Markup, html};

/// tower-authy's stylesheet, served at `{prefix}/assets/tower-authy.css`.
pub(crate) const STYLESHEET: &str = include_str!("../assets/tower-authy.css");
/// The waiting page's script, served at `{prefix}/assets/tower-authy.js`.
pub(crate) const SCRIPT: &str = include_str!("../assets/tower-authy.js");

fn head(shared: &Shared, script: bool) -> Markup {
    html! {
        link rel="stylesheet" href=(shared.path("/assets/tower-authy.css"));
        @if let Some(sheet) = &shared.stylesheet {
            link rel="stylesheet" href=(sheet);
        }
        @if script {
            script src=(shared.path("/assets/tower-authy.js")) defer {}
        }
    }
}

fn page(shared: &Shared, title: &str, script: bool, content: &Markup) -> String {
    page_for(shared, title, script, None, content)
}

/// A page; `verified` (the user's login and the session's CSRF token) on the pages only a
/// verified user sees, for the application's layout.
fn page_for(
    shared: &Shared,
    title: &str,
    script: bool,
    verified: Option<(&str, &str)>,
    content: &Markup,
) -> String {
    let head = head(shared, script);
    let parts = PageParts {
        title,
        head: &head.0,
        content: &content.0,
        verified,
    };
    if let Some(layout) = &shared.layout {
        return layout.render(parts);
    }
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                (head)
            }
            body { main { (content) } }
        }
    }
    .into_string()
}

/// "Remember this device", unticked, when remembering is on.
fn remember_box(shared: &Shared) -> Markup {
    html! {
        @if let Some(r) = &shared.remember {
            label.check {
                input type="checkbox" name="remember" value="1";
                " Remember this device for " (r.settings.days) " days"
            }
        }
    }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(csrf); }
}

pub(crate) fn login(shared: &Shared, csrf: &str, return_to: &str, error: Option<&str>) -> String {
    let content = html! {
        h1 { "Log in" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(shared.path("/login")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            label for="login" { "Email" }
            input #login name="login" type="email" autocomplete="username" required;
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete="current-password" required;
            (remember_box(shared))
            button type="submit" { "Log in" }
        }
    };
    page(shared, "Log in", false, &content)
}

pub(crate) fn step_up(shared: &Shared, csrf: &str, return_to: &str) -> String {
    let content = html! {
        h1 { "Confirm it is you" }
        p { "This page needs a second step. We will send a request to the Authy app on your phone." }
        form method="post" action=(shared.path("/step-up")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            (remember_box(shared))
            button type="submit" { "Send the request" }
        }
    };
    page(shared, "Confirm it is you", false, &content)
}

/// A verified user asked to prove the second factor again before a sensitive page.
pub(crate) fn reprove(shared: &Shared, csrf: &str, return_to: &str) -> String {
    let content = html! {
        h1 { "Prove it is you again" }
        p { "This page needs the second step done recently. Use one of your ways to sign in once more, and you will be taken back." }
        form method="post" action=(shared.path("/reprove")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            button type="submit" { "Continue" }
        }
    };
    page(shared, "Prove it is you again", false, &content)
}

pub(crate) fn verify(
    shared: &Shared,
    csrf: &str,
    c: &Challenge,
    others: &[crate::factors::Factor],
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let onetouch = c.approval_uuid.is_some();
    let provider = shared.provider_of(c).unwrap_or(&shared.client);
    let caps = provider.capabilities();
    let app = provider.app_label();
    let content = html! {
        h1 { "Second step" }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if onetouch {
            section #onetouch aria-live="polite" data-prefix=(shared.prefix) {
                p #onetouch-status {
                    "Waiting for your approval. We sent a request to " (app) " on your \
                     phone; check that it shows this code:"
                }
                p.code data-testid="match-code" { (c.match_code) }
                p { a #restart href=(shared.start_path()) hidden { "Start again" } }
            }
            form #confirm method="post" action=(shared.path("/confirm")) {
                (csrf_field(csrf))
                noscript { button type="submit" { "I approved it" } }
            }
            hr;
        }
        form method="post" action=(shared.path("/token")) {
            (csrf_field(csrf))
            label for="token" {
                @if onetouch { "Or use a code instead" }
                @else if caps.sms { "Enter the code from " (app) " or the SMS" }
                @else { "Enter the code from " (app) }
            }
            @if shared.recovery.is_some() {
                input #token name="token" autocomplete="one-time-code"
                    pattern="[0-9A-Za-z -]*" maxlength="24" required aria-describedby="recovery-hint";
                p #recovery-hint.hint { "Lost your phone? Enter one of your recovery codes instead." }
            } @else {
                input #token name="token" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9 ]*" maxlength="16" required;
            }
            button type="submit" { "Verify code" }
        }
        div.row {
            @if caps.sms {
                form method="post" action=(shared.path("/sms")) {
                    (csrf_field(csrf))
                    button.secondary type="submit" { "Send me an SMS" }
                }
            }
            @if caps.call {
                form method="post" action=(shared.path("/call")) {
                    (csrf_field(csrf))
                    button.secondary type="submit" { "Call me" }
                }
            }
            form method="post" action=(shared.path("/logout")) {
                (csrf_field(csrf))
                button.secondary type="submit" { "Cancel" }
            }
        }
        @if !others.is_empty() {
            section.another data-testid="other-factors" {
                h2 { "Try another way" }
                @for f in others {
                    form method="post" action=(shared.path("/factor")) {
                        (csrf_field(csrf))
                        input type="hidden" name="factor" value=(f.id);
                        button.secondary type="submit" { (f.label) " (" (kind_name(f.kind)) ")" }
                    }
                }
            }
        }
    };
    page(shared, "Second step", onetouch, &content)
}

pub(crate) fn message(shared: &Shared, title: &str, text: &str, link: (&str, &str)) -> String {
    let content = html! {
        h1 { (title) }
        p { (text) }
        p { a href=(link.0) { (link.1) } }
    };
    page(shared, title, false, &content)
}

/// The recovery codes page: how many are left, and a form to make a new set.
pub(crate) fn recovery_codes(shared: &Shared, login: &str, csrf: &str, remaining: usize) -> String {
    let content = html! {
        h1 { "Recovery codes" }
        p {
            "If you lose your phone, each recovery code lets you log in once instead of the \
             second step. You have " strong data-testid="codes-left" { (remaining) } " left."
        }
        form method="post" action=(shared.path("/recovery-codes")) {
            (csrf_field(csrf))
            @if remaining > 0 { p { "Making new codes stops the old ones working." } }
            button type="submit" { "Make new recovery codes" }
        }
        p { a href=(shared.default_return_to) { "Back" } }
    };
    page_for(
        shared,
        "Recovery codes",
        false,
        Some((login, csrf)),
        &content,
    )
}

/// A new set of recovery codes, shown this once.
pub(crate) fn new_recovery_codes(
    shared: &Shared,
    codes: &[String],
    continue_to: &str,
    first: bool,
) -> String {
    let content = html! {
        h1 { "Your new recovery codes" }
        p.notice role="status" {
            "Write these down or print them, and keep them somewhere safe: they are shown only \
             this once. Each works one time."
            @if !first { " Your earlier codes no longer work." }
        }
        ol.codes data-testid="recovery-codes" {
            @for code in codes { li { code { (code) } } }
        }
        p { a href=(continue_to) { "I have saved them" } }
    };
    page(shared, "Your new recovery codes", false, &content)
}

/// The devices that skip the second factor, each with a button to forget it.
pub(crate) fn devices(
    shared: &Shared,
    login: &str,
    csrf: &str,
    devices: &[crate::remember::RememberedDevice],
) -> String {
    let forget = shared.path("/devices/forget");
    let content = html! {
        h1 { "Remembered devices" }
        @if devices.is_empty() {
            p data-testid="no-devices" { "No device skips the second step." }
        } @else {
            p { "On these browsers your password alone logs you in, until the date shown." }
            ul.devices {
                @for d in devices {
                    li data-device=(d.id) {
                        (d.label) " (until " (date(d.expires_at)) ")"
                        form method="post" action=(forget) {
                            (csrf_field(csrf))
                            input type="hidden" name="device" value=(d.id);
                            button.secondary type="submit" { "Forget" }
                        }
                    }
                }
            }
            form method="post" action=(forget) {
                (csrf_field(csrf))
                button type="submit" { "Forget them all" }
            }
        }
        p { a href=(shared.default_return_to) { "Back" } }
    };
    page_for(
        shared,
        "Remembered devices",
        false,
        Some((login, csrf)),
        &content,
    )
}

/// The verified user's factors: each with its name, kind and last use, a form to rename it
/// and one to remove it (not the last); and a button to add another.
pub(crate) fn factors(
    shared: &Shared,
    login: &str,
    csrf: &str,
    factors: &[crate::factors::Factor],
    error: Option<&str>,
) -> String {
    let last = factors.len() < 2;
    let content = html! {
        h1 { "Ways to sign in" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        ul.factors data-testid="factors" {
            @for f in factors {
                li data-factor=(f.id) {
                    strong { (f.label) } " — " (kind_name(f.kind))
                    @if let Some(p) = &f.phone {
                        " (number ending " (p.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect::<String>()) ")"
                    }
                    // A legacy Authy id's use is not recorded: say nothing rather than "not
                    // used" about the phone the user may have just approved.
                    @if f.id != crate::factors::LEGACY {
                        br;
                        small {
                            @match f.last_used_at {
                                Some(at) => { "Last used " (date(at)) }
                                None => { "Not used yet" }
                            }
                        }
                    }
                    @if f.id != crate::factors::LEGACY {
                        form method="post" action=(shared.path("/factors/rename")) {
                            (csrf_field(csrf))
                            input type="hidden" name="factor" value=(f.id);
                            label for=(format!("label-{}", f.id)) { "New name" }
                            input id=(format!("label-{}", f.id)) name="label" maxlength="64" required;
                            button.secondary type="submit" { "Rename" }
                        }
                        @if !last {
                            form method="post" action=(shared.path("/factors/remove")) {
                                (csrf_field(csrf))
                                input type="hidden" name="factor" value=(f.id);
                                button.secondary type="submit" { "Remove" }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action=(shared.path("/factors/add")) {
            (csrf_field(csrf))
            button type="submit" { "Add another way" }
        }
        p { a href=(shared.default_return_to) { "Back" } }
    };
    page_for(
        shared,
        "Ways to sign in",
        false,
        Some((login, csrf)),
        &content,
    )
}

/// How the pages name a kind of factor.
pub(crate) fn kind_name(kind: crate::factors::FactorKind) -> &'static str {
    match kind {
        crate::factors::FactorKind::Push => "push and codes on your phone",
        crate::factors::FactorKind::App => "codes from an authenticator app",
        _ => "codes by SMS or call",
    }
}

/// Enrolment, first step: the phone to register with Authy (or, with several providers, the
/// way to add). `known_email` is the address the user logged in with, when it is one: the
/// form then does not ask for it again.
pub(crate) fn enrol_phone(
    shared: &Shared,
    provider: &dyn crate::SecondFactorProvider,
    csrf: &str,
    known_email: Option<&str>,
    skip_to: Option<&str>,
    error: Option<&str>,
) -> String {
    let caps = shared
        .providers
        .iter()
        .fold(provider.capabilities(), |all, p| {
            all.needs_phone(all.needs_phone || p.capabilities().needs_phone)
        });
    let several = shared.providers.len() > 1;
    let content = html! {
        h1 { "Turn on the second step" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if caps.needs_phone {
            p { "Your account has no second step yet. Add your phone: logging in will then need it too." }
        } @else {
            p { "Your account has no second step yet. Add an authenticator app: logging in will then need it too." }
        }
        form method="post" action=(shared.path("/enrol")) {
            (csrf_field(csrf))
            @if several {
                fieldset {
                    legend { "Which way?" }
                    @for (i, p) in shared.providers.iter().enumerate() {
                        label.choice {
                            input type="radio" name="provider" value=(p.name()) checked[i == 0];
                            " " (provider_choice(p.as_ref()))
                        }
                    }
                }
            }
            @if let Some(email) = known_email {
                p data-testid="enrol-email" { "For " strong { (email) } }
            } @else {
                label for="email" { "Email" }
                input #email name="email" type="email" autocomplete="email" required;
            }
            @if caps.needs_phone {
                @if several { p.hint { "The phone is needed only for the ways that use one." } }
                label for="country_code" { "Country code" }
                input #country_code name="country_code" inputmode="numeric" autocomplete="tel-country-code"
                    list="calling-codes" pattern="[+]?[0-9]{1,3}" maxlength="4" required[!several];
                datalist #calling-codes {
                    @for (code, country) in crate::enrolment::CALLING_CODES {
                        option value=(code) { (country) }
                    }
                }
                label for="phone" { "Phone number" }
                input #phone name="phone" type="tel" autocomplete="tel-national" maxlength="24" required[!several];
            }
            button type="submit" { "Continue" }
        }
        @if let Some(to) = skip_to {
            p { a data-testid="skip-enrolment" href=(to) { "Skip for now" } }
        }
    };
    page(shared, "Turn on the second step", false, &content)
}

/// Enrolment, second step: prove the phone with a token (and optionally scan the QR code).
pub(crate) fn enrol_token(
    shared: &Shared,
    provider: &dyn crate::SecondFactorProvider,
    csrf: &str,
    qr: Option<(&str, &str)>,
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let caps = provider.capabilities();
    let app = provider.app_label();
    let title = if caps.needs_phone {
        "Prove it is your phone"
    } else {
        "Add your authenticator app"
    };
    let content = html! {
        h1 { (title) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if caps.sms {
            p { "Enter a code from " (app) ", or ask for one by SMS. The second step is turned on only once a code checks out." }
        } @else {
            p { "Enter a code from " (app) ". The second step is turned on only once a code checks out." }
        }
        @if let Some((svg, key)) = qr {
            p { "Scan this with an authenticator app, then enter the code it shows:" }
            div.qr data-testid="qr-code" role="img" aria-label="QR code for an authenticator app" {
                (maud::PreEscaped(svg))
            }
            p { "Cannot scan it? Type this key into the app: " code data-testid="manual-key" { (key) } }
        }
        form method="post" action=(shared.path("/enrol/confirm")) {
            (csrf_field(csrf))
            label for="token" { "Code" }
            input #token name="token" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]*" maxlength="16" required;
            @if shared.factors.is_some() {
                label for="label" { "A name for it (optional)" }
                input #label name="label" maxlength="64" placeholder="My phone";
            }
            button type="submit" { "Turn it on" }
        }
        @if caps.sms {
            form method="post" action=(shared.path("/enrol/sms")) {
                (csrf_field(csrf))
                button.secondary type="submit" { "Send me an SMS" }
            }
        }
    };
    page(shared, title, false, &content)
}

/// Turning the second step off: the password and a current code.
pub(crate) fn disable(shared: &Shared, csrf: &str, error: Option<&str>) -> String {
    let content = html! {
        h1 { "Turn off the second step" }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        p { "Logging in will need only your password. Remembered devices and recovery codes are forgotten." }
        form method="post" action=(shared.path("/disable")) {
            (csrf_field(csrf))
            label for="password" { "Password" }
            input #password name="password" type="password" autocomplete="current-password" required;
            label for="token" { "A current code" }
            input #token name="token" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]*" maxlength="16" required;
            button type="submit" { "Turn it off" }
        }
        p { a href=(shared.default_return_to) { "Back" } }
    };
    page(shared, "Turn off the second step", false, &content)
}

/// How the enrolment form offers a provider.
fn provider_choice(p: &dyn crate::SecondFactorProvider) -> String {
    let caps = p.capabilities();
    if caps.push {
        format!("Approve on your phone with {}", p.app_label())
    } else if caps.needs_phone {
        "Codes by SMS or call".to_owned()
    } else {
        "An authenticator app (codes, no phone number)".to_owned()
    }
}

/// `2026-12-28`: a day as the pages show it (UTC).
pub(crate) fn date(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}
