//! Wrapping tower-authy's pages in the application's own header, navigation and footer.

/// One of tower-authy's pages, ready to be placed in a [`Layout`].
#[derive(Debug, Clone, Copy)]
pub struct PageParts<'a> {
    pub(crate) title: &'a str,
    pub(crate) head: &'a str,
    pub(crate) content: &'a str,
}

impl<'a> PageParts<'a> {
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
/// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new())
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
