//! The recovery codes' pages.

use crate::pages::{View, csrf_field, page, page_for};
use maud::html;

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
