//! The secret for generic authenticator apps (`users/{id}/secret`, authy-api.md A.4.8).

use super::AuthyClient;
use crate::provider::ProviderError;
use serde_json::Value;

impl AuthyClient {
    /// The `otpauth://` URI of the user's secret, for a generic authenticator app to scan
    /// (as a QR code) instead of the Authy app. `label` is what the app shows for the account.
    ///
    /// # Errors
    /// [`ProviderError::Api`] when generic authenticator tokens are off for the application
    /// (`60123`) or the user is unknown (`60026`); see [`ProviderError`].
    pub async fn authenticator_uri(
        &self,
        authy_id: u64,
        label: &str,
    ) -> Result<String, ProviderError> {
        let url = self.url(&format!("/protected/json/users/{authy_id}/secret"));
        let form = [("label", label), ("qr_size", "300")];
        let body = self.send(self.http.post(url).form(&form)).await?;
        body.get("uri")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("otpauth://"))
            .map(str::to_owned)
            .ok_or(ProviderError::Malformed(
                "users/{id}/secret without an otpauth uri",
            ))
    }
}
