//! The step-up page.

use crate::pages::{View, app_label, csrf_field, page, remember_box};
use maud::html;

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
