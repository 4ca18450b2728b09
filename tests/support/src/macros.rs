//! One test per provider from one scenario: `every_provider!` and `phone_providers!`.

/// Runs `async fn $scenario(ProviderKind)` as one test per provider: `$scenario::authy`,
/// `$scenario::verify`, `$scenario::totp`.
#[macro_export]
macro_rules! every_provider {
    ($($scenario:ident),+ $(,)?) => {
        $crate::per_provider!([authy Authy, verify Verify, totp Totp] $($scenario),+);
    };
}

/// As [`every_provider!`], for the providers that push and send codes to phones (Authy and
/// Verify): `$scenario::authy`, `$scenario::verify`.
#[macro_export]
macro_rules! phone_providers {
    ($($scenario:ident),+ $(,)?) => {
        $crate::per_provider!([authy Authy, verify Verify] $($scenario),+);
    };
}

/// A module per scenario, with a test per listed provider (`test_name ProviderKind`).
#[doc(hidden)]
#[macro_export]
macro_rules! per_provider {
    ([$($test:ident $kind:ident),+]) => {};
    ([$($test:ident $kind:ident),+] $scenario:ident $(, $rest:ident)*) => {
        mod $scenario {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$scenario($crate::ProviderKind::$kind).await;
                }
            )+
        }
        $crate::per_provider!([$($test $kind),+] $($rest),*);
    };
}
