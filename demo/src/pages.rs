//! The demo's own pages: home, sign up, account. The login and second-factor pages are
//! tower-authy's, styled by the same stylesheet.

use crate::SignupForm;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Authy demo</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><header class=\"site\"><a href=\"/\" class=\"brand\">Authy demo</a>\
         <nav><a href=\"/signup\">Sign up</a> <a href=\"/authy/login\">Log in</a> <a href=\"/account\">Account</a></nav></header>\
         <main>{body}</main></body></html>",
        esc(title)
    )
}

/// The landing page.
pub fn home() -> String {
    page(
        "Welcome",
        "<h1>Two-factor authentication with Authy</h1>\
         <p>This app asks for a second factor after your password: approve the request on your phone \
         (Authy OneTouch), or type a code from the Authy app, an SMS or a phone call.</p>\
         <p>It runs offline: a simulated Authy answers, and its <em>virtual phone</em> page plays your phone.</p>\
         <p class=\"actions\"><a class=\"button\" href=\"/signup\">Sign up</a> <a class=\"button secondary\" href=\"/authy/login\">Log in</a></p>",
    )
}

/// The sign-up form, refilled after an error (never the password).
pub fn signup(csrf: &str, form: &SignupForm, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sign up</h1>{error}<form method=\"post\" action=\"/signup\">\
         <input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">\
         <label for=\"name\">Name</label><input id=\"name\" name=\"name\" autocomplete=\"name\" required value=\"{name}\">\
         <label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{email}\">\
         <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"8\" required>\
         <div class=\"phone\"><div><label for=\"country_code\">Country code</label>\
         <input id=\"country_code\" name=\"country_code\" inputmode=\"numeric\" autocomplete=\"tel-country-code\" required value=\"{cc}\" placeholder=\"1\"></div>\
         <div><label for=\"phone\">Phone</label><input id=\"phone\" name=\"phone\" type=\"tel\" autocomplete=\"tel-national\" required value=\"{phone}\"></div></div>\
         <button type=\"submit\">Sign up</button></form>\
         <p class=\"hint\">Your phone number is registered with Authy, which sends the approval requests and codes.</p>",
        csrf = esc(csrf),
        name = esc(form.name()),
        email = esc(form.email()),
        cc = esc(form.country_code()),
        phone = esc(form.phone()),
    );
    page("Sign up", &body)
}

/// The protected page.
pub fn account(name: &str, csrf: &str) -> String {
    let body = format!(
        "<h1>Your account</h1><p class=\"success\">Welcome, {}. You logged in with your password and a second factor.</p>\
         <form method=\"post\" action=\"/authy/logout\"><input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
         <button type=\"submit\" class=\"secondary\">Log out</button></form>",
        esc(name),
        esc(csrf)
    );
    page("Account", &body)
}

/// A short message page.
pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Home</a></p>",
            esc(title),
            esc(text)
        ),
    )
}
