//! The built-in HTML pages: plain, accessible, readable on a phone, nothing fetched from
//! elsewhere. Rendered with maud, whose one escaping path covers every interpolated value; no
//! inline script or style, so the strict Content-Security-Policy holds. An application's
//! [`Layout`](crate::layout::Layout) wraps them in its own page.

use crate::config::Shared;
use crate::i18n::Tr;
use crate::layout::PageParts;
use crate::store::Challenge;
use maud::{DOCTYPE, Markup, html};

/// tower-authy's stylesheet, served at `{prefix}/assets/tower-authy.css`.
pub(crate) const STYLESHEET: &str = include_str!("../assets/tower-authy.css");
/// The waiting page's script, served at `{prefix}/assets/tower-authy.js`.
pub(crate) const SCRIPT: &str = include_str!("../assets/tower-authy.js");

/// What a page is written with: the configuration, and the messages in the request's
/// language.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) t: Tr<'a>,
}

impl<'a> View<'a> {
    /// The messages in the page's language.
    pub(crate) fn tr(&self) -> Tr<'a> {
        self.t
    }
}

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

fn page(r: &View<'_>, title: &str, script: bool, content: &Markup) -> String {
    page_for(r, title, script, None, content)
}

/// A page; `verified` (the user's login and the session's CSRF token) on the pages only a
/// verified user sees, for the application's layout.
fn page_for(
    r: &View<'_>,
    title: &str,
    script: bool,
    verified: Option<(&str, &str)>,
    content: &Markup,
) -> String {
    let shared = r.shared;
    let head = head(shared, script);
    let lang = r.tr().tag();
    let parts = PageParts {
        title,
        head: &head.0,
        content: &content.0,
        verified,
        lang: &lang,
    };
    if let Some(layout) = &shared.layout {
        return layout.render(parts);
    }
    html! {
        (DOCTYPE)
        html lang=(lang) {
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
fn remember_box(r: &View<'_>) -> Markup {
    html! {
        @if let Some(remember) = &r.shared.remember {
            label.check {
                input type="checkbox" name="remember" value="1";
                " " (r.tr().with("remember-device", &[("days", &remember.settings.days.to_string())]))
            }
        }
    }
}

fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(csrf); }
}

/// How the pages name `provider`'s app ("the Authy app"), in the page's language.
pub(crate) fn app_label(r: &View<'_>, provider: &dyn crate::SecondFactorProvider) -> String {
    r.tr()
        .get(&format!("app-label-{}", provider.name()))
        .unwrap_or_else(|| provider.app_label().to_owned())
}

pub(crate) fn login(r: &View<'_>, csrf: &str, return_to: &str, error: Option<&str>) -> String {
    let (shared, t) = (r.shared, r.tr());
    let content = html! {
        h1 { (t.t("login-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(shared.path("/login")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            label for="login" { (t.t("field-email")) }
            input #login name="login" type="email" autocomplete="username" required;
            label for="password" { (t.t("field-password")) }
            input #password name="password" type="password" autocomplete="current-password" required;
            (remember_box(r))
            button type="submit" { (t.t("login-button")) }
        }
    };
    page(r, &t.t("login-title"), false, &content)
}

pub(crate) fn step_up(r: &View<'_>, csrf: &str, return_to: &str) -> String {
    let (shared, t) = (r.shared, r.tr());
    let app = app_label(r, shared.client.as_ref());
    let content = html! {
        h1 { (t.t("step-up-title")) }
        p { (t.with("step-up-intro", &[("app", &app)])) }
        form method="post" action=(shared.path("/step-up")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            (remember_box(r))
            button type="submit" { (t.t("step-up-button")) }
        }
    };
    page(r, &t.t("step-up-title"), false, &content)
}

/// A verified user asked to prove the second factor again before a sensitive page.
pub(crate) fn reprove(r: &View<'_>, csrf: &str, return_to: &str) -> String {
    let (shared, t) = (r.shared, r.tr());
    let content = html! {
        h1 { (t.t("reprove-title")) }
        p { (t.t("reprove-intro")) }
        form method="post" action=(shared.path("/reprove")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            button type="submit" { (t.t("continue")) }
        }
    };
    page(r, &t.t("reprove-title"), false, &content)
}

pub(crate) fn verify(
    r: &View<'_>,
    csrf: &str,
    c: &Challenge,
    others: &[crate::factors::Factor],
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let onetouch = c.push_id.is_some();
    let provider = shared.provider_of(c).unwrap_or(&shared.client);
    let caps = provider.capabilities();
    let app = app_label(r, provider.as_ref());
    let content = html! {
        h1 { (t.t("second-step-title")) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if onetouch {
            section #onetouch aria-live="polite" data-prefix=(shared.prefix)
                data-approved=(t.t("push-approved")) data-denied=(t.t("push-denied"))
                data-expired=(t.t("push-expired")) data-ended=(t.t("push-ended")) {
                p #onetouch-status { (t.with("push-waiting", &[("app", &app)])) }
                p.code data-testid="match-code" { (c.match_code) }
                p { a #restart href=(shared.start_path()) hidden { (t.t("start-again")) } }
            }
            form #confirm method="post" action=(shared.path("/confirm")) {
                (csrf_field(csrf))
                noscript { button type="submit" { (t.t("push-i-approved")) } }
            }
            hr;
        }
        form method="post" action=(shared.path("/token")) {
            (csrf_field(csrf))
            label for="token" {
                @if onetouch { (t.t("code-instead")) }
                @else if caps.sms { (t.with("code-from-app-or-sms", &[("app", &app)])) }
                @else { (t.with("code-from-app", &[("app", &app)])) }
            }
            @if shared.recovery.is_some() {
                input #token name="token" autocomplete="one-time-code"
                    pattern="[0-9A-Za-z -]*" maxlength="24" required aria-describedby="recovery-hint";
                p #recovery-hint.hint { (t.t("recovery-hint")) }
            } @else {
                input #token name="token" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9 ]*" maxlength="16" required;
            }
            button type="submit" { (t.t("verify-code")) }
        }
        div.row {
            @if caps.sms {
                form method="post" action=(shared.path("/sms")) {
                    (csrf_field(csrf))
                    button.secondary type="submit" { (t.t("send-sms")) }
                }
            }
            @if caps.call {
                form method="post" action=(shared.path("/call")) {
                    (csrf_field(csrf))
                    button.secondary type="submit" { (t.t("call-me")) }
                }
            }
            form method="post" action=(shared.path("/logout")) {
                (csrf_field(csrf))
                button.secondary type="submit" { (t.t("cancel")) }
            }
        }
        @if !others.is_empty() {
            section.another data-testid="other-factors" {
                h2 { (t.t("try-another-way")) }
                @for f in others {
                    form method="post" action=(shared.path("/factor")) {
                        (csrf_field(csrf))
                        input type="hidden" name="factor" value=(f.id);
                        button.secondary type="submit" { (f.label) " (" (kind_name(r, f.kind)) ")" }
                    }
                }
            }
        }
    };
    page(r, &t.t("second-step-title"), onetouch, &content)
}

pub(crate) fn message(r: &View<'_>, title: &str, text: &str, link: (&str, &str)) -> String {
    let content = html! {
        h1 { (title) }
        p { (text) }
        p { a href=(link.0) { (link.1) } }
    };
    page(r, title, false, &content)
}

/// The recovery codes page: how many are left, and a form to make a new set.
pub(crate) fn recovery_codes(r: &View<'_>, login: &str, csrf: &str, remaining: usize) -> String {
    let (shared, t) = (r.shared, r.tr());
    let content = html! {
        h1 { (t.t("recovery-title")) }
        p {
            (t.t("recovery-intro")) " "
            strong data-testid="codes-left" { (remaining) } (t.t("recovery-left"))
        }
        form method="post" action=(shared.path("/recovery-codes")) {
            (csrf_field(csrf))
            @if remaining > 0 { p { (t.t("recovery-replace-warning")) } }
            button type="submit" { (t.t("recovery-make")) }
        }
        p { a href=(shared.default_return_to) { (t.t("back")) } }
    };
    page_for(
        r,
        &t.t("recovery-title"),
        false,
        Some((login, csrf)),
        &content,
    )
}

/// A new set of recovery codes, shown this once.
pub(crate) fn new_recovery_codes(
    r: &View<'_>,
    codes: &[String],
    continue_to: &str,
    first: bool,
) -> String {
    let t = r.tr();
    let content = html! {
        h1 { (t.t("recovery-new-title")) }
        p.notice role="status" {
            (t.t("recovery-new-intro"))
            @if !first { " " (t.t("recovery-new-earlier-void")) }
        }
        ol.codes data-testid="recovery-codes" {
            @for code in codes { li { code { (code) } } }
        }
        p { a href=(continue_to) { (t.t("recovery-saved")) } }
    };
    page(r, &t.t("recovery-new-title"), false, &content)
}

/// The devices that skip the second factor, each with a button to forget it.
pub(crate) fn devices(
    r: &View<'_>,
    login: &str,
    csrf: &str,
    devices: &[crate::remember::RememberedDevice],
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let forget = shared.path("/devices/forget");
    let content = html! {
        h1 { (t.t("devices-title")) }
        @if devices.is_empty() {
            p data-testid="no-devices" { (t.t("devices-none")) }
        } @else {
            p { (t.t("devices-intro")) }
            ul.devices {
                @for d in devices {
                    li data-device=(d.id) {
                        (d.label) " (" (t.with("devices-until", &[("date", &date(d.expires_at))])) ")"
                        form method="post" action=(forget) {
                            (csrf_field(csrf))
                            input type="hidden" name="device" value=(d.id);
                            button.secondary type="submit" { (t.t("devices-forget")) }
                        }
                    }
                }
            }
            form method="post" action=(forget) {
                (csrf_field(csrf))
                button type="submit" { (t.t("devices-forget-all")) }
            }
        }
        p { a href=(shared.default_return_to) { (t.t("back")) } }
    };
    page_for(
        r,
        &t.t("devices-title"),
        false,
        Some((login, csrf)),
        &content,
    )
}

/// The verified user's factors: each with its name, kind and last use, a form to rename it
/// and one to remove it (not the last); and a button to add another.
pub(crate) fn factors(
    r: &View<'_>,
    login: &str,
    csrf: &str,
    factors: &[crate::factors::Factor],
    error: Option<&str>,
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let last = factors.len() < 2;
    let content = html! {
        h1 { (t.t("factors-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        ul.factors data-testid="factors" {
            @for f in factors {
                li data-factor=(f.id) {
                    strong { (f.label) } " — " (kind_name(r, f.kind))
                    @if let Some(p) = &f.phone {
                        " (" (t.with("factors-number-ending", &[("digits", &p.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect::<String>())])) ")"
                    }
                    br;
                    small {
                        @match f.last_used_at {
                            Some(at) => { (t.with("factors-last-used", &[("date", &date(at))])) }
                            None => { (t.t("factors-not-used")) }
                        }
                    }
                    {
                        form method="post" action=(shared.path("/factors/rename")) {
                            (csrf_field(csrf))
                            input type="hidden" name="factor" value=(f.id);
                            label for=(format!("label-{}", f.id)) { (t.t("factors-new-name")) }
                            input id=(format!("label-{}", f.id)) name="label" maxlength="64" required;
                            button.secondary type="submit" { (t.t("factors-rename")) }
                        }
                        @if !last {
                            form method="post" action=(shared.path("/factors/remove")) {
                                (csrf_field(csrf))
                                input type="hidden" name="factor" value=(f.id);
                                button.secondary type="submit" { (t.t("factors-remove")) }
                            }
                        }
                    }
                }
            }
        }
        @if shared.enrols() {
            form method="post" action=(shared.path("/factors/add")) {
                (csrf_field(csrf))
                button type="submit" { (t.t("factors-add")) }
            }
        }
        p { a href=(shared.default_return_to) { (t.t("back")) } }
    };
    page_for(
        r,
        &t.t("factors-title"),
        false,
        Some((login, csrf)),
        &content,
    )
}

/// How the pages name a kind of factor.
pub(crate) fn kind_name(r: &View<'_>, kind: crate::factors::FactorKind) -> String {
    r.tr().t(match kind {
        crate::factors::FactorKind::Push => "kind-push",
        crate::factors::FactorKind::App => "kind-app",
        _ => "kind-phone",
    })
}

/// Enrolment, first step: the phone to register with Authy (or, with several providers, the
/// way to add). `known_email` is the address the user logged in with, when it is one: the
/// form then does not ask for it again.
pub(crate) fn enrol_phone(
    r: &View<'_>,
    provider: &dyn crate::SecondFactorProvider,
    csrf: &str,
    known_email: Option<&str>,
    skip_to: Option<&str>,
    error: Option<&str>,
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let caps = shared
        .providers
        .iter()
        .fold(provider.capabilities(), |all, p| {
            all.needs_phone(all.needs_phone || p.capabilities().needs_phone)
        });
    let several = shared.providers.len() > 1;
    let content = html! {
        h1 { (t.t("enrol-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if caps.needs_phone {
            p { (t.t("enrol-intro-phone")) }
        } @else {
            p { (t.t("enrol-intro-app")) }
        }
        form method="post" action=(shared.path("/enrol")) {
            (csrf_field(csrf))
            @if several {
                fieldset {
                    legend { (t.t("enrol-which-way")) }
                    @for (i, p) in shared.providers.iter().enumerate() {
                        label.choice {
                            input type="radio" name="provider" value=(p.name()) checked[i == 0];
                            " " (provider_choice(r, p.as_ref()))
                        }
                    }
                }
            }
            @if let Some(email) = known_email {
                p data-testid="enrol-email" { (t.t("enrol-for")) " " strong { (email) } }
            } @else {
                label for="email" { (t.t("field-email")) }
                input #email name="email" type="email" autocomplete="email" required;
            }
            @if caps.needs_phone {
                @if several { p.hint { (t.t("enrol-phone-hint")) } }
                label for="country_code" { (t.t("field-country-code")) }
                input #country_code name="country_code" inputmode="numeric" autocomplete="tel-country-code"
                    list="calling-codes" pattern="[+]?[0-9]{1,3}" maxlength="4" required[!several];
                datalist #calling-codes {
                    @for (code, country) in crate::enrolment::CALLING_CODES {
                        option value=(code) { (country) }
                    }
                }
                label for="phone" { (t.t("field-phone")) }
                input #phone name="phone" type="tel" autocomplete="tel-national" maxlength="24" required[!several];
            }
            button type="submit" { (t.t("continue")) }
        }
        @if let Some(to) = skip_to {
            p { a data-testid="skip-enrolment" href=(to) { (t.t("enrol-skip")) } }
        }
    };
    page(r, &t.t("enrol-title"), false, &content)
}

/// Enrolment, second step: prove the phone with a token (and optionally scan the QR code).
pub(crate) fn enrol_token(
    r: &View<'_>,
    provider: &dyn crate::SecondFactorProvider,
    csrf: &str,
    qr: Option<(&str, &str)>,
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let caps = provider.capabilities();
    let app = app_label(r, provider);
    let title = if caps.needs_phone {
        t.t("enrol-prove-phone-title")
    } else {
        t.t("enrol-add-app-title")
    };
    let content = html! {
        h1 { (title) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if caps.sms {
            p { (t.with("enrol-code-or-sms", &[("app", &app)])) }
        } @else {
            p { (t.with("enrol-code", &[("app", &app)])) }
        }
        @if let Some((svg, key)) = qr {
            p { (t.t("enrol-scan")) }
            div.qr data-testid="qr-code" role="img" aria-label=(t.t("enrol-qr-label")) {
                (maud::PreEscaped(svg))
            }
            p { (t.t("enrol-manual-key")) " " code data-testid="manual-key" { (key) } }
        }
        form method="post" action=(shared.path("/enrol/confirm")) {
            (csrf_field(csrf))
            label for="token" { (t.t("field-code")) }
            input #token name="token" inputmode="numeric" autocomplete="one-time-code"
                pattern="[0-9 ]*" maxlength="16" required;
            label for="label" { (t.t("enrol-label")) }
            input #label name="label" maxlength="64" placeholder=(t.t("enrol-label-placeholder"));
            button type="submit" { (t.t("enrol-turn-on")) }
        }
        @if caps.sms {
            form method="post" action=(shared.path("/enrol/sms")) {
                (csrf_field(csrf))
                button.secondary type="submit" { (t.t("send-sms")) }
            }
        }
    };
    page(r, &title, false, &content)
}

/// How the enrolment form offers a provider.
fn provider_choice(r: &View<'_>, p: &dyn crate::SecondFactorProvider) -> String {
    let caps = p.capabilities();
    let t = r.tr();
    if caps.push {
        t.with("choice-push", &[("app", &app_label(r, p))])
    } else if caps.needs_phone {
        t.t("choice-phone")
    } else {
        t.t("choice-app")
    }
}

/// `2026-12-28`: a day as the pages show it (UTC).
pub(crate) fn date(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}
