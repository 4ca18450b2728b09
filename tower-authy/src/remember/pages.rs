//! The remembered devices' page.

use crate::pages::{View, csrf_field, date, page_for};
use maud::html;

/// The devices that skip the second factor, each with a button to forget it.
pub(crate) fn devices(
    r: &View<'_>,
    login: &str,
    csrf: &str,
    devices: &[super::RememberedDevice],
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
