//! Wrapping tower-authy's pages in the application's own header, navigation and footer.

/// One of tower-authy's pages, ready to be placed in a [`Layout`].
#[derive(Debug, Clone, Copy)]
pub struct PageParts<'a> {
    pub(crate) title: &'a str,
    pub(crate) head: &'a str,
    pub(crate) content: &'a str,
    /// On the pages only a verified user sees: their login, and this session's CSRF token.
    pub(crate) verified: Option<(&'a str, &'a str)>,
    /// The language the page is written in.
    pub(crate) lang: &'a str,
}

impl<'a> PageParts<'a> {
    /// The language the page is written in, as a tag (`en`, `fr`): for `<html lang>`.
    pub fn lang(&self) -> &'a str {
        self.lang
    }

    /// The page's title, as plain text: escape it before putting it in HTML.
    pub fn title(&self) -> &'a str {
        self.title
    }

    /// HTML for the `<head>`: tower-authy's stylesheet and script, escaped and same-origin (so
    /// they pass the strict Content-Security-Policy tower-authy sends).
    pub fn head_html(&self) -> &'a str {
        self.head
    }

    /// The page's content as HTML, every value in it escaped: put it where your content goes.
    pub fn content_html(&self) -> &'a str {
        self.content
    }

    /// On the pages only a user verified with both factors sees (ways to sign in, remembered
    /// devices, recovery codes): what they logged in as, so the header can name them. `None`
    /// on the login and second-step pages, where nobody is logged in yet. Plain text: escape
    /// it.
    pub fn verified_login(&self) -> Option<&'a str> {
        self.verified.map(|(login, _)| login)
    }

    /// With [`verified_login`](Self::verified_login): this session's CSRF token, for a "Log
    /// out" form in the header (`POST <prefix>/logout` with a `csrf_token` field).
    pub fn csrf_token(&self) -> Option<&'a str> {
        self.verified.map(|(_, csrf)| csrf)
    }
}

/// Renders tower-authy's pages (login, second step, messages) inside the application's own page.
///
/// Any `Fn(PageParts) -> String` is a layout. tower-authy sends a strict
/// Content-Security-Policy with its pages (`script-src 'self'; style-src 'self'`, no inline
/// script or style): a layout must link its styles and scripts from the same origin.
///
/// ```
/// use tower_authy::layout::PageParts;
/// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
/// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
/// #     .callback_url("https://app.example/authy/callback");
/// fn escape(text: &str) -> String {
///     text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
/// }
///
/// let builder = builder.layout(|page: PageParts<'_>| {
///     format!(
///         "<!doctype html><html><head><title>{} · Example</title>{}</head>\
///          <body><header><a href=\"/\">Example</a></header><main>{}</main></body></html>",
///         escape(page.title()),
///         page.head_html(),
///         page.content_html(),
///     )
/// });
/// # builder.build().unwrap();
/// ```
pub trait Layout: Send + Sync + 'static {
    /// The whole HTML document for `page`.
    fn render(&self, page: PageParts<'_>) -> String;
}

impl<F> Layout for F
where
    F: Fn(PageParts<'_>) -> String + Send + Sync + 'static,
{
    fn render(&self, page: PageParts<'_>) -> String {
        self(page)
    }
}
