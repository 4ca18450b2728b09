//! The enrolment pages: choosing a provider and giving a phone, then proving it with a code.

use crate::pages::{View, app_label, csrf_field, page};
use maud::html;

/// Enrolment, first step: the phone to register with Authy (or, with several providers, the
/// way to add). `known_email` is the address the user logged in with, when it is one: the
/// form then does not ask for it again.
pub(crate) fn enrol_phone(
    r: &View<'_>,
    provider: &dyn crate::SecondFactorProvider,
    csrf: &str,
    known_email: Option<&str>,
    skip_to: Option<&str>,
    adding: bool,
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
    // A user adding another way is not turning the second step on.
    let title = if adding {
        "enrol-another-title"
    } else {
        "enrol-title"
    };
    let content = html! {
        h1 { (t.t(title)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if adding {
            p { (t.t("enrol-intro-another")) }
        } @else if caps.needs_phone {
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
        @if shared.passkeys_on() {
            section.another data-testid="enrol-passkey" {
                h2 { (t.t("passkey-enrol-title")) }
                p { (t.t("passkey-enrol-intro")) }
                (crate::pages::passkey_section(r, csrf, crate::pages::PasskeyMode::Register, &html! {
                    label for="passkey-label" { (t.t("passkey-label")) }
                    input #passkey-label name="label" maxlength="64" placeholder=(t.t("factors-label-passkey"));
                }))
            }
        }
        @if let Some(to) = skip_to {
            p { a data-testid="skip-enrolment" href=(to) { (t.t("enrol-skip")) } }
        }
    };
    page(r, &t.t(title), shared.passkeys_on(), &content)
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
