//! The factors page.

use crate::pages::{View, csrf_field, date, kind_name, page_for};
use maud::html;

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
