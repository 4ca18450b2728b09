//! The built-in HTML pages: plain, accessible, readable on a phone, nothing fetched from
//! elsewhere. Every interpolated value goes through [`esc`].

use crate::config::Shared;
use crate::store::Challenge;
use std::fmt::Write as _;

/// Escapes text for HTML bodies and double-quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;background:#f5f7fa}\
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border:1px solid #d9dee7;border-radius:.75rem}\
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}\
input{width:100%;box-sizing:border-box;padding:.6rem;font:inherit;border:1px solid #9aa3b2;border-radius:.4rem}\
button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;border:0;border-radius:.4rem;background:#1f5fd1;color:#fff;cursor:pointer}\
button.secondary{background:#e8ecf3;color:#1d2330}.error{color:#b42318;font-weight:600}.notice{color:#0a7d3c}\
.code{font:700 1.8rem/1 ui-monospace,monospace;letter-spacing:.2em}.row{display:flex;gap:.5rem;flex-wrap:wrap}\
hr{border:0;border-top:1px solid #d9dee7;margin:1.5rem 0}";

fn page(shared: &Shared, title: &str, body: &str) -> String {
    let sheet = shared
        .stylesheet
        .as_deref()
        .map(|h| format!("<link rel=\"stylesheet\" href=\"{}\">", esc(h)))
        .unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style>{sheet}</head><body><main>{body}</main></body></html>",
        esc(title)
    )
}

fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">",
        esc(csrf)
    )
}

pub(crate) fn login(shared: &Shared, csrf: &str, return_to: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Log in</h1>{error}<form method=\"post\" action=\"{action}\">{csrf}\
         <input type=\"hidden\" name=\"return_to\" value=\"{rt}\">\
         <label for=\"login\">Email</label><input id=\"login\" name=\"login\" type=\"email\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Log in</button></form>",
        action = esc(&shared.path("/login")),
        csrf = csrf_field(csrf),
        rt = esc(return_to),
    );
    page(shared, "Log in", &body)
}

pub(crate) fn verify(
    shared: &Shared,
    csrf: &str,
    c: &Challenge,
    notice: Option<&str>,
    error: Option<&str>,
) -> String {
    let mut body = String::from("<h1>Second step</h1>");
    if let Some(n) = notice {
        let _ = write!(body, "<p class=\"notice\" role=\"status\">{}</p>", esc(n));
    }
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", esc(e));
    }
    if c.approval_uuid.is_some() {
        let _ = write!(
            body,
            "<section id=\"onetouch\" aria-live=\"polite\"><p id=\"onetouch-status\">Waiting for your approval. \
             We sent a request to the Authy app on your phone; check that it shows this code:</p>\
             <p class=\"code\" data-testid=\"match-code\">{code}</p>\
             <p><a id=\"restart\" href=\"{login}\" hidden>Log in again</a></p></section>\
             <form id=\"confirm\" method=\"post\" action=\"{confirm}\">{csrf}<noscript><button type=\"submit\">I approved it</button></noscript></form><hr>",
            code = esc(&c.match_code),
            login = esc(&shared.path("/login")),
            confirm = esc(&shared.path("/confirm")),
            csrf = csrf_field(csrf),
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{token}\">{csrf}<label for=\"token\">{label}</label>\
         <input id=\"token\" name=\"token\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" maxlength=\"16\" required>\
         <button type=\"submit\">Verify code</button></form>\
         <div class=\"row\"><form method=\"post\" action=\"{sms}\">{csrf}<button class=\"secondary\" type=\"submit\">Send me an SMS</button></form>\
         <form method=\"post\" action=\"{call}\">{csrf}<button class=\"secondary\" type=\"submit\">Call me</button></form>\
         <form method=\"post\" action=\"{logout}\">{csrf}<button class=\"secondary\" type=\"submit\">Cancel</button></form></div>",
        token = esc(&shared.path("/token")),
        sms = esc(&shared.path("/sms")),
        call = esc(&shared.path("/call")),
        logout = esc(&shared.path("/logout")),
        csrf = csrf_field(csrf),
        label = if c.approval_uuid.is_some() {
            "Or use a code instead"
        } else {
            "Enter the code from the Authy app or the SMS"
        },
    );
    if c.approval_uuid.is_some() {
        let _ = write!(body, "<script>{}</script>", waiting_script(&shared.prefix));
    }
    page(shared, "Second step", &body)
}

/// Listens for the outcome over server-sent events (polls where EventSource is missing).
fn waiting_script(prefix: &str) -> String {
    let prefix = serde_json::to_string(prefix)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace('<', "\\u003c");
    format!(
        r#""use strict";(function(){{const P={prefix};const status=document.getElementById("onetouch-status");let done=false;
function restart(){{document.getElementById("restart").hidden=false;}}
function show(s){{if(done)return;if(s==="approved"){{done=true;status.textContent="Approved. Logging you in...";document.getElementById("confirm").submit();}}
else if(s==="denied"){{done=true;status.textContent="The request was denied on your phone. Log in again to start over.";restart();}}
else if(s==="expired"){{done=true;status.textContent="The request expired. Log in again to start over.";restart();}}
else if(s==="locked"||s==="completed"){{done=true;status.textContent="This login can no longer be used. Log in again.";restart();}}}}
if(window.EventSource){{const es=new EventSource(P+"/events");es.addEventListener("status",function(e){{show(JSON.parse(e.data).status);if(done)es.close();}});}}
else{{let n=0;(function poll(){{if(done||n++>300)return;fetch(P+"/status",{{headers:{{Accept:"application/json"}}}}).then(function(r){{return r.json();}})
.then(function(b){{show(b.status);}}).finally(function(){{if(!done)setTimeout(poll,2000);}});}})();}}}})();"#
    )
}

pub(crate) fn message(shared: &Shared, title: &str, text: &str, link: (&str, &str)) -> String {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"{}\">{}</a></p>",
        esc(title),
        esc(text),
        esc(link.0),
        esc(link.1)
    );
    page(shared, title, &body)
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_everything_that_could_break_out() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
