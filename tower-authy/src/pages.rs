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

pub(crate) fn head(shared: &Shared, script: bool) -> Markup {
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

pub(crate) fn page(r: &View<'_>, title: &str, script: bool, content: &Markup) -> String {
    page_for(r, title, script, None, content)
}

/// A page; `verified` (the user's login and the session's CSRF token) on the pages only a
/// verified user sees, for the application's layout.
pub(crate) fn page_for(
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
pub(crate) fn remember_box(r: &View<'_>) -> Markup {
    html! {
        @if let Some(remember) = &r.shared.remember {
            label.check {
                input type="checkbox" name="remember" value="1";
                " " (r.tr().with("remember-device", &[("days", &remember.settings.days.to_string())]))
            }
        }
    }
}

pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(csrf); }
}

/// What a passkey section does: prove a login's second factor, register a new passkey, or
/// sign in with one alone.
#[derive(Clone, Copy)]
pub(crate) enum PasskeyMode {
    Login,
    Register,
    SignIn,
}

/// A passkey section: a button the page script (`tower-authy.js`) turns into a WebAuthn
/// ceremony (options fetched from `{action}/options`, the answer submitted in the form to
/// `action`); `fields` go in the form beside the credential.
pub(crate) fn passkey_section(
    r: &View<'_>,
    csrf: &str,
    mode: PasskeyMode,
    fields: &Markup,
) -> Markup {
    let (shared, t) = (r.shared, r.tr());
    let (name, action, button) = match mode {
        PasskeyMode::Login => ("login", "/passkey", "passkey-use"),
        PasskeyMode::Register => ("register", "/passkey/register", "passkey-add"),
        PasskeyMode::SignIn => ("sign-in", "/passkey/sign-in", "passkey-sign-in"),
    };
    let action = shared.path(action);
    html! {
        section.passkey data-passkey=(name) data-options=(format!("{action}/options"))
            data-failed=(t.t("passkey-failed")) data-unsupported=(t.t("passkey-unsupported")) {
            form method="post" action=(action) {
                (csrf_field(csrf))
                input type="hidden" name="credential" value="";
                (fields)
                button type="button" data-passkey-start { (t.t(button)) }
            }
            p.passkey-status role="status" aria-live="polite" {}
            noscript { p.hint { (t.t("passkey-needs-script")) } }
        }
    }
}

/// How the pages name `provider`'s app ("the Authy app"), in the page's language.
pub(crate) fn app_label(r: &View<'_>, provider: &dyn crate::SecondFactorProvider) -> String {
    r.tr()
        .get(&format!("app-label-{}", provider.name()))
        .unwrap_or_else(|| provider.app_label().to_owned())
}

pub(crate) fn login(r: &View<'_>, csrf: &str, return_to: &str, error: Option<&str>) -> String {
    let (shared, t) = (r.shared, r.tr());
    let sign_in = shared.passkey_sign_in();
    let content = html! {
        h1 { (t.t("login-title")) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(shared.path("/login")) {
            (csrf_field(csrf))
            input type="hidden" name="return_to" value=(return_to);
            label for="login" { (t.t("field-email")) }
            input #login name="login" type="email" autocomplete=(if sign_in { "username webauthn" } else { "username" }) required;
            label for="password" { (t.t("field-password")) }
            input #password name="password" type="password" autocomplete="current-password" required;
            (remember_box(r))
            button type="submit" { (t.t("login-button")) }
        }
        @if sign_in {
            hr;
            (passkey_section(r, csrf, PasskeyMode::SignIn, &html! {
                input type="hidden" name="return_to" value=(return_to);
            }))
        }
    };
    page(r, &t.t("login-title"), sign_in, &content)
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
    others: &[crate::store::factor::Factor],
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let (shared, t) = (r.shared, r.tr());
    let onetouch = c.push_id.is_some();
    let passkey = c.provider == crate::store::factor::PASSKEY_PROVIDER;
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
        @if passkey {
            p { (t.t("passkey-prompt")) }
            (passkey_section(r, csrf, PasskeyMode::Login, &html! {}))
        }
        @if passkey && shared.recovery.is_some() {
            form method="post" action=(shared.path("/token")) {
                (csrf_field(csrf))
                label for="token" { (t.t("passkey-recovery-code")) }
                input #token name="token" autocomplete="one-time-code"
                    pattern="[0-9A-Za-z -]*" maxlength="24" required;
                button.secondary type="submit" { (t.t("verify-code")) }
            }
        }
        @if !passkey {
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
        }
        div.row {
            @if caps.sms && !passkey {
                form method="post" action=(shared.path("/sms")) {
                    (csrf_field(csrf))
                    button.secondary type="submit" { (t.t("send-sms")) }
                }
            }
            @if caps.call && !passkey {
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
    page(r, &t.t("second-step-title"), onetouch || passkey, &content)
}

pub(crate) fn message(r: &View<'_>, title: &str, text: &str, link: (&str, &str)) -> String {
    let content = html! {
        h1 { (title) }
        p { (text) }
        p { a href=(link.0) { (link.1) } }
    };
    page(r, title, false, &content)
}

/// How the pages name a kind of factor.
pub(crate) fn kind_name(r: &View<'_>, kind: crate::store::factor::FactorKind) -> String {
    r.tr().t(match kind {
        crate::store::factor::FactorKind::Push => "kind-push",
        crate::store::factor::FactorKind::App => "kind-app",
        crate::store::factor::FactorKind::Passkey => "kind-passkey",
        _ => "kind-phone",
    })
}

/// `2026-12-28`: a day as the pages show it (UTC).
pub(crate) fn date(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}
