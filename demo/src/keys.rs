//! The keys that seal `--provider totp` secrets, made once and kept: a restart must not lock
//! out every authenticator app enrolled so far.
//!
//! They come from `DEMO_TOTP_KEY` (older keys after commas) when set, else from a key
//! file beside the database (`<database>.keys`), created on first start with mode 0600. The
//! file's first `totp` line is the key that seals; the lines after it are older keys, which
//! still open the secrets sealed under them. `demo admin rotate-totp-key` puts a new key
//! first, seals every secret again under it, and keeps only the key it replaced (for
//! instances still running on it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use tower_authy::provider::totp::TotpKey;

/// 32 key bytes; never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes([u8; 32]);

impl std::fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyBytes([redacted])")
    }
}

impl KeyBytes {
    fn from_hex(hex: &str) -> Option<KeyBytes> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.trim().as_bytes())
            .ok()?;
        Some(KeyBytes(bytes.try_into().ok()?))
    }

    fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    /// The key tower-authy seals with.
    pub fn key(&self) -> TotpKey {
        TotpKey::from_bytes(self.0)
    }
}

/// The sealing key and the older keys that still open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpKeys {
    /// Seals new secrets; opens them.
    pub current: KeyBytes,
    /// Open secrets sealed before the last rotation, newest first.
    pub previous: Vec<KeyBytes>,
}

impl TotpKeys {
    /// The older keys as tower-authy takes them.
    pub fn previous_keys(&self) -> Vec<TotpKey> {
        self.previous.iter().map(KeyBytes::key).collect()
    }
}

/// Why keys could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key is not 64 hexadecimal digits (the file or variable is named).
    #[error("{0}: a key must be 64 hexadecimal digits")]
    Malformed(String),
    /// The key file has no `totp` line.
    #[error("{0}: no totp key in the file")]
    Empty(PathBuf),
    /// The key file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// The key file for `database`; `None` for an in-memory database (nothing outlives the run).
pub fn file_for(database: &Path) -> Option<PathBuf> {
    (database != Path::new(":memory:")).then(|| {
        let mut name = database.as_os_str().to_owned();
        name.push(".keys");
        PathBuf::from(name)
    })
}

/// A fresh random key.
pub fn random_key() -> KeyBytes {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    KeyBytes(bytes)
}

/// Keys from configuration (`DEMO_TOTP_KEY`): 64 hex digits, or several separated by commas,
/// the first sealing and the others older keys that still open.
///
/// # Errors
/// [`KeyError::Malformed`] for a value that is not a key.
pub fn from_value(value: &str) -> Result<TotpKeys, KeyError> {
    let mut keys = value.split(',').map(|hex| {
        KeyBytes::from_hex(hex).ok_or_else(|| KeyError::Malformed("DEMO_TOTP_KEY".to_owned()))
    });
    let current = keys
        .next()
        .ok_or_else(|| KeyError::Malformed("DEMO_TOTP_KEY".to_owned()))??;
    Ok(TotpKeys {
        current,
        previous: keys.collect::<Result<_, _>>()?,
    })
}

/// The keys in the file at `path`, made (with one random key, mode 0600) when there is none;
/// whether it was made now.
///
/// # Errors
/// [`KeyError`] when the file cannot be read, written or understood.
pub fn load_or_create(path: &Path) -> Result<(TotpKeys, bool), KeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(|k| (k, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keys = TotpKeys {
                current: random_key(),
                previous: Vec::new(),
            };
            write(path, &keys, true)?;
            Ok((keys, true))
        }
        Err(source) => Err(KeyError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn parse(path: &Path, text: &str) -> Result<TotpKeys, KeyError> {
    let mut keys = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("totp "))
        .map(|hex| {
            KeyBytes::from_hex(hex).ok_or_else(|| KeyError::Malformed(path.display().to_string()))
        });
    let current = keys
        .next()
        .ok_or_else(|| KeyError::Empty(path.to_owned()))??;
    Ok(TotpKeys {
        current,
        previous: keys.collect::<Result<_, _>>()?,
    })
}

/// Writes `keys` to `path` with mode 0600: `new` refuses an existing file; otherwise the file
/// is replaced whole (written beside it, then renamed over it).
fn write(path: &Path, keys: &TotpKeys, new: bool) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut text = String::from(
        "# tower-authy demo: the key sealing TOTP secrets (first), then older keys that still open\n\
         # them. Keep this file secret; losing it locks out every authenticator app enrolled here.\n",
    );
    for key in std::iter::once(&keys.current).chain(&keys.previous) {
        text.push_str("totp ");
        text.push_str(&key.to_hex());
        text.push('\n');
    }
    let target = if new {
        path.to_owned()
    } else {
        let mut name = path.as_os_str().to_owned();
        name.push(".new");
        PathBuf::from(name)
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&target).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    if !new {
        std::fs::rename(&target, path).map_err(io)?;
    }
    Ok(())
}

/// Puts a new key first in the file at `path`, keeping the one it replaces as the only older
/// key: call it after every secret was sealed again under `keys.current`.
///
/// # Errors
/// [`KeyError`] when the file cannot be written.
pub fn save_rotated(path: &Path, keys: &TotpKeys) -> Result<(), KeyError> {
    write(path, keys, false)
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Secrets now sealed under the new key.
    pub resealed: usize,
    /// Secrets that open under none of the keys (left as they are: their users cannot log in
    /// with the app and need an administrator's reset).
    pub unreadable: usize,
}

/// Why a rotation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The database has no key file (in memory, or the keys come from `DEMO_TOTP_KEY`).
    #[error("no key file for this database: rotate DEMO_TOTP_KEY by hand (new key first)")]
    NoKeyFile,
    /// The key file.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The database.
    #[error("the database: {0}")]
    Store(#[from] tower_authy::store::StoreError),
    /// The provider (a store failure while sealing again).
    #[error("sealing again: {0}")]
    Seal(#[from] tower_authy::provider::ProviderError),
    /// tower-authy refused the provider's settings.
    #[error(transparent)]
    Config(#[from] tower_authy::ConfigError),
}

/// Rotates the TOTP key of the database at `database`: a new random key seals every secret
/// again (opened under the current or an older key), then becomes the file's first key, with
/// the one it replaced kept after it for instances still running on it. Restart the demo
/// instances to seal new secrets under the new key.
///
/// # Errors
/// [`RotateError`]; the key file is rewritten only once every readable secret is sealed again.
pub async fn rotate_totp_key(database: &Path) -> Result<Rotated, RotateError> {
    let path = file_for(database).ok_or(RotateError::NoKeyFile)?;
    let (old, _) = match std::fs::metadata(&path) {
        Ok(_) => load_or_create(&path)?,
        Err(_) => return Err(RotateError::NoKeyFile),
    };
    let users = crate::users::SqliteUsers::open(database, false)?;
    let new = random_key();
    let provider = tower_authy::provider::totp::TotpProvider::builder(new.key(), users.clone())
        .previous_keys(std::iter::once(old.current.key()).chain(old.previous_keys()))
        .build()?;
    let mut done = Rotated {
        resealed: 0,
        unreadable: 0,
    };
    for subject in users.totp_subjects().await? {
        match provider.reseal(subject).await {
            Ok(_) => done.resealed += 1,
            Err(tower_authy::provider::ProviderError::Malformed(_)) => done.unreadable += 1,
            Err(e) => return Err(e.into()),
        }
    }
    let rotated = TotpKeys {
        current: new,
        previous: vec![old.current],
    };
    save_rotated(&path, &rotated)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_a_value_or_a_file_made_once_with_mode_0600() {
        let k = "ab".repeat(32);
        let keys = from_value(&format!("{k},{}", "cd".repeat(32))).unwrap();
        assert_eq!(keys.previous.len(), 1);
        assert!(from_value("abcd").is_err());
        assert!(from_value(&format!("{k},zz")).is_err());
        assert_eq!(format!("{:?}", keys.current), "KeyBytes([redacted])");

        let dir = std::env::temp_dir().join(format!("demo-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = file_for(&dir.join("demo.sqlite3")).unwrap();
        assert!(path.ends_with("demo.sqlite3.keys"));
        assert_eq!(file_for(Path::new(":memory:")), None);
        let (made, created) = load_or_create(&path).unwrap();
        let (read, again) = load_or_create(&path).unwrap();
        assert!(created && !again);
        assert_eq!(made, read, "made once, then read");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let rotated = TotpKeys {
            current: random_key(),
            previous: vec![made.current.clone()],
        };
        save_rotated(&path, &rotated).unwrap();
        assert_eq!(load_or_create(&path).unwrap().0, rotated);
        std::fs::write(&path, "# nothing\n").unwrap();
        assert!(matches!(load_or_create(&path), Err(KeyError::Empty(_))));
        drop(std::fs::remove_dir_all(&dir));
    }
}
