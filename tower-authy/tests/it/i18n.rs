//! The pages and problems in the user's language: French for a French browser, English
//! otherwise; an application's own wording and languages; its own choice of language.

use test_support::{Browser, PASSWORD, World};

fn browser_in(w: &World, language: &str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_LANGUAGE, language.parse().unwrap());
    Browser::with_headers(&w.base, headers)
}

#[tokio::test]
async fn a_french_browser_gets_french_pages_and_problems() {
    let w = World::start().await;
    let subject = w.user("ada@example.com", "5551230001").await;

    let mut fr = browser_in(&w, "fr-CH, fr;q=0.9, en;q=0.5");
    let page = fr.get("/authy/login").await;
    assert!(page.body.contains(r#"<html lang="fr">"#), "{}", page.body);
    assert!(page.body.contains("<h1>Connexion</h1>"), "{}", page.body);
    let refused = fr.login("ada@example.com", "wrong").await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .body
            .contains("Adresse e-mail ou mot de passe incorrect.")
    );
    let api = fr.get_json("/account").await;
    assert_eq!(api.json()["title"], "Authentification requise");
    assert_eq!(
        api.json()["reason"],
        "login_required",
        "reasons stay machine words"
    );

    fr.login("ada@example.com", PASSWORD).await;
    let waiting = fr.get("/authy/verify").await;
    assert!(
        waiting.body.contains(
            "En attente de votre approbation. Nous avons envoyé une demande à l’application Authy"
        ),
        "{}",
        waiting.body
    );
    // The script's words come from the page, in the page's language.
    assert!(
        waiting
            .body
            .contains(r#"data-denied="La demande a été refusée"#)
    );
    let push = w.latest_push(subject).await;
    w.answer(&push, false).await;
    let denied = fr.post("/authy/confirm", &[]).await;
    assert_eq!(denied.status, 403);
    assert!(denied.body.contains("Connexion refusée"), "{}", denied.body);

    // A language we do not have: English.
    let mut de = browser_in(&w, "de-DE, de;q=0.9");
    let page = de.get("/authy/login").await;
    assert!(page.body.contains(r#"<html lang="en">"#) && page.body.contains("<h1>Log in</h1>"));
}

#[tokio::test]
async fn applications_change_wording_add_languages_and_choose_the_language() {
    let w = World::configured(|b| {
        b.messages("en", "login-title = Sign in to Example")
            .messages("de", "login-title = Anmelden")
            // The application's language cookie wins over the browser's preference.
            .choose_language(|headers| {
                let cookies = headers.get("cookie")?.to_str().ok()?;
                cookies
                    .split("; ")
                    .find_map(|c| c.strip_prefix("lang="))
                    .map(str::to_owned)
            })
    })
    .await;
    let mut en = w.browser();
    let page = en.get("/authy/login").await;
    assert!(
        page.body.contains("<h1>Sign in to Example</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(">Log in</button>"),
        "the rest as shipped"
    );

    let mut de = browser_in(&w, "de");
    let page = de.get("/authy/login").await;
    assert!(page.body.contains("<h1>Anmelden</h1>"), "{}", page.body);
    assert!(
        page.body.contains(">Log in</button>"),
        "what German leaves out is English"
    );

    let mut chosen = browser_in(&w, "de");
    chosen.set_cookie("lang=fr");
    let page = chosen.get("/authy/login").await;
    assert!(page.body.contains("<h1>Connexion</h1>"), "{}", page.body);
}

#[test]
fn a_catalogue_that_does_not_parse_is_a_configuration_error() {
    let authy =
        tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
            .build()
            .unwrap();
    let built = tower_authy::TwoFactor::builder(
        authy,
        tower_authy::store::MemoryUserStore::new(),
        tower_authy::store::MemoryUserStore::new(),
    )
    .callback_url("https://app.example/authy/callback")
    .messages("de", "login-title Anmelden")
    .build();
    assert!(matches!(
        built.err(),
        Some(tower_authy::ConfigError::Messages(
            tower_authy::i18n::MessagesError::Syntax { .. }
        ))
    ));
}
