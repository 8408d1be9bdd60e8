//! btcli wallets: `{path}/{name}/coldkeypub.txt` and `{path}/{name}/hotkeys/{hotkey}`, plain
//! JSON or `$NACL`-encrypted (Argon2i key, XSalsa20-Poly1305 box, as btwallet writes them),
//! and `validator wallet create`, which writes plain keyfiles with mode 0600.
//!
//! Secrets never leave this module except as a signing [`Keypair`]; nothing here logs them, and
//! error messages name files, never contents.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use bt_core::ss58::bittensor;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use serde_json::{json, Map, Value};
use subxt_signer::bip39::Mnemonic;
use subxt_signer::sr25519::Keypair;
use zeroize::Zeroizing;

/// Where a wallet is, as btcli's `--wallet.path/.name/.hotkey` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletPaths {
    /// The wallets folder (`~/.bittensor/wallets`).
    pub path: PathBuf,
    /// The wallet (coldkey) name.
    pub name: String,
    /// The hotkey name.
    pub hotkey: String,
}

/// btcli's wallet flags (`--wallet.name`, `--wallet.hotkey`, `--wallet.path`).
#[derive(Debug, Clone, clap::Args)]
pub struct WalletArgs {
    /// The wallet (coldkey) name.
    #[arg(
        long = "wallet.name",
        env = "BT_WALLET_NAME",
        default_value = "default"
    )]
    pub name: String,
    /// The hotkey name.
    #[arg(
        long = "wallet.hotkey",
        env = "BT_WALLET_HOTKEY",
        default_value = "default"
    )]
    pub hotkey: String,
    /// The wallets folder (default ~/.bittensor/wallets).
    #[arg(long = "wallet.path", env = "BT_WALLET_PATH")]
    pub path: Option<PathBuf>,
}

impl WalletArgs {
    /// The files these flags name.
    pub fn paths(&self) -> WalletPaths {
        WalletPaths {
            path: self.path.clone().unwrap_or_else(WalletPaths::default_root),
            name: self.name.clone(),
            hotkey: self.hotkey.clone(),
        }
    }
}

/// Why a wallet could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The file is not there.
    #[error("no keyfile at {0}: create it with `validator wallet create` or `btcli wallet new_hotkey`, or check --wallet.path/--wallet.name/--wallet.hotkey")]
    Missing(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a keyfile we understand.
    #[error("{path} is not a valid keyfile: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the file's contents).
        reason: String,
    },
    /// The password did not open the file.
    #[error("wrong password for {0} (or the file is damaged)")]
    WrongPassword(PathBuf),
    /// The file is encrypted and no password was available.
    #[error("{0} is encrypted: set BT_WALLET_PASSWORD (or btwallet's BT_PW_… variable) or run in a terminal to be asked")]
    NeedPassword(PathBuf),
    /// An encryption format we do not open.
    #[error("{path} is encrypted with {format}, which this validator does not open: re-encrypt it with a current btcli (`btcli wallet update`)")]
    UnsupportedEncryption {
        /// The file.
        path: PathBuf,
        /// `$ANSIBLE_VAULT` or Fernet.
        format: &'static str,
    },
    /// The target exists and overwriting was not asked for.
    #[error("{0} already exists: pass --overwrite to replace it (the old key is lost)")]
    Exists(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
    move |source| WalletError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> WalletError {
    WalletError::Invalid {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl WalletPaths {
    /// btcli's defaults: `BT_WALLET_PATH` or `~/.bittensor/wallets`.
    pub fn default_root() -> PathBuf {
        if let Some(p) = std::env::var_os("BT_WALLET_PATH") {
            return PathBuf::from(p);
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".bittensor").join("wallets")
    }

    /// `{path}/{name}/hotkeys/{hotkey}`.
    pub fn hotkey_file(&self) -> PathBuf {
        self.path
            .join(&self.name)
            .join("hotkeys")
            .join(&self.hotkey)
    }

    /// `{path}/{name}/hotkeys/{hotkey}pub.txt`.
    pub fn hotkey_pub_file(&self) -> PathBuf {
        self.path
            .join(&self.name)
            .join("hotkeys")
            .join(format!("{}pub.txt", self.hotkey))
    }

    /// `{path}/{name}/coldkey`.
    pub fn coldkey_file(&self) -> PathBuf {
        self.path.join(&self.name).join("coldkey")
    }

    /// `{path}/{name}/coldkeypub.txt`.
    pub fn coldkeypub_file(&self) -> PathBuf {
        self.path.join(&self.name).join("coldkeypub.txt")
    }
}

/// Where a password for an encrypted keyfile comes from. Its `Debug` never shows a given
/// password, and a given password is wiped from memory when dropped.
#[derive(Clone, Default)]
pub enum Password {
    /// `BT_WALLET_PASSWORD`, then btwallet's `BT_PW_<PATH>`, then a terminal prompt.
    #[default]
    FromEnvOrPrompt,
    /// This password.
    Given(Zeroizing<String>),
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FromEnvOrPrompt => f.write_str("FromEnvOrPrompt"),
            Self::Given(_) => f.write_str("Given(<redacted>)"),
        }
    }
}

/// The hotkey of `paths`, ready to sign.
pub fn load_hotkey(paths: &WalletPaths, password: &Password) -> Result<Keypair, WalletError> {
    load_keypair(&paths.hotkey_file(), password)
}

/// The public key in `coldkeypub.txt`.
pub fn load_coldkeypub(paths: &WalletPaths) -> Result<[u8; 32], WalletError> {
    let path = paths.coldkeypub_file();
    let bytes = fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            WalletError::Missing(path.clone())
        } else {
            WalletError::Io {
                path: path.clone(),
                source: e,
            }
        }
    })?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid(&path, "not JSON"))?;
    let hex_key = value
        .get("publicKey")
        .or_else(|| value.get("accountId"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(&path, "no publicKey"))?;
    decode_hex_32(hex_key).ok_or_else(|| invalid(&path, "publicKey is not 32 hex bytes"))
}

/// Reads a keyfile (plain or `$NACL`) and returns its keypair.
pub fn load_keypair(path: &Path, password: &Password) -> Result<Keypair, WalletError> {
    warn_if_world_readable(path);
    let raw = Zeroizing::new(fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            WalletError::Missing(path.to_path_buf())
        } else {
            WalletError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?);
    let plain = if raw.starts_with(b"$NACL") {
        let pw = resolve_password(path, password)?;
        decrypt_nacl(path, &raw, &pw)?
    } else if raw.starts_with(b"$ANSIBLE_VAULT") {
        return Err(WalletError::UnsupportedEncryption {
            path: path.to_path_buf(),
            format: "Ansible Vault (legacy)",
        });
    } else if raw.starts_with(b"gAAAAA") {
        return Err(WalletError::UnsupportedEncryption {
            path: path.to_path_buf(),
            format: "Fernet (legacy)",
        });
    } else {
        raw
    };
    keypair_from_json(path, &plain)
}

/// The hotkey's secret as a signer URI (`0x<mini-secret>`), for handing a local wallet's key to
/// the local chain's bootstrap. Plaintext hotkeys only; the result is secret.
pub fn hotkey_seed_uri(paths: &WalletPaths) -> Result<Zeroizing<String>, WalletError> {
    let path = paths.hotkey_file();
    let raw = Zeroizing::new(fs::read(&path).map_err(io(&path))?);
    let file: KeyfileJson =
        serde_json::from_slice(&raw).map_err(|_| invalid(&path, "not a plaintext JSON keyfile"))?;
    let seed = file
        .secret_seed
        .ok_or_else(|| invalid(&path, "no secretSeed"))?;
    let bytes = Zeroizing::new(
        decode_hex_32(&seed).ok_or_else(|| invalid(&path, "secretSeed is not 32 hex bytes"))?,
    );
    Ok(Zeroizing::new(format!("0x{}", hex::encode(bytes.as_ref()))))
}

/// A plaintext keyfile's fields (all strings or null); secrets are wiped when dropped.
#[derive(serde::Deserialize)]
struct KeyfileJson {
    #[serde(rename = "secretPhrase")]
    secret_phrase: Option<Zeroizing<String>>,
    #[serde(rename = "secretSeed")]
    secret_seed: Option<Zeroizing<String>>,
    #[serde(rename = "privateKey")]
    private_key: Option<Zeroizing<String>>,
    #[serde(rename = "publicKey")]
    public_key: Option<String>,
}

/// The keypair in a plaintext keyfile, by btwallet's precedence: phrase, then seed.
fn keypair_from_json(path: &Path, plain: &[u8]) -> Result<Keypair, WalletError> {
    let file: KeyfileJson = serde_json::from_slice(plain).map_err(|_| {
        invalid(
            path,
            "not a JSON keyfile (its values must be strings or null)",
        )
    })?;
    let present = |v: &Option<Zeroizing<String>>| v.as_ref().is_some_and(|s| !s.is_empty());
    let keypair = if let Some(phrase) = file
        .secret_phrase
        .as_ref()
        .filter(|_| present(&file.secret_phrase))
    {
        let mnemonic = Mnemonic::parse(phrase.as_str())
            .map_err(|_| invalid(path, "secretPhrase is not a valid BIP39 phrase"))?;
        Keypair::from_phrase(&mnemonic, None)
            .map_err(|_| invalid(path, "secretPhrase gives no key"))?
    } else if let Some(seed) = file
        .secret_seed
        .as_ref()
        .filter(|_| present(&file.secret_seed))
    {
        let bytes = Zeroizing::new(
            decode_hex_32(seed).ok_or_else(|| invalid(path, "secretSeed is not 32 hex bytes"))?,
        );
        Keypair::from_secret_key(*bytes).map_err(|_| invalid(path, "secretSeed gives no key"))?
    } else if present(&file.private_key) {
        return Err(invalid(path, "it holds only privateKey; this validator needs secretPhrase or secretSeed (regenerate the key from its mnemonic with btcli)"));
    } else {
        return Err(invalid(path, "it holds no secret (a public keyfile?)"));
    };
    // A file whose public key disagrees with its secret is damaged or tampered with.
    if let Some(public) = file.public_key.as_deref().and_then(decode_hex_32) {
        if public != keypair.public_key().0 {
            return Err(invalid(path, "its publicKey does not belong to its secret"));
        }
    }
    Ok(keypair)
}

fn decode_hex_32(s: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(s.strip_prefix("0x").unwrap_or(s)).ok()?;
    bytes.try_into().ok()
}

/// libsodium's `crypto_pwhash_argon2i13` with btwallet's fixed salt and SENSITIVE limits.
const NACL_SALT: [u8; 16] = [
    0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1,
];
const NACL_OPSLIMIT: u32 = 8;
const NACL_MEMLIMIT_KIB: u32 = 512 * 1024;

fn nacl_key(password: &str) -> Result<Zeroizing<[u8; 32]>, String> {
    let params =
        Params::new(NACL_MEMLIMIT_KIB, NACL_OPSLIMIT, 1, Some(32)).map_err(|e| e.to_string())?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2i, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), &NACL_SALT, key.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(key)
}

/// Opens `$NACL ‖ nonce(24) ‖ secretbox`.
fn decrypt_nacl(
    path: &Path,
    raw: &[u8],
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, WalletError> {
    let body = &raw[5..];
    if body.len() < 24 + 16 {
        return Err(invalid(path, "the encrypted data is truncated"));
    }
    let key =
        nacl_key(password).map_err(|e| invalid(path, format!("key derivation failed: {e}")))?;
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    let plain = cipher
        .decrypt(body[..24].into(), &body[24..])
        .map_err(|_| WalletError::WrongPassword(path.to_path_buf()))?;
    Ok(Zeroizing::new(plain))
}

/// Encrypts `plain` as btwallet does (`$NACL ‖ nonce ‖ secretbox`).
pub fn encrypt_nacl(plain: &[u8], password: &str) -> Result<Vec<u8>, String> {
    let key = nacl_key(password)?;
    let cipher = XSalsa20Poly1305::new(key.as_ref().into());
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
    let sealed = cipher
        .encrypt((&nonce).into(), plain)
        .map_err(|e| e.to_string())?;
    let mut out = b"$NACL".to_vec();
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// btwallet's environment variable for a keyfile's password: `BT_PW_` + the path with `/` and
/// `.` as `_`, upper-cased; its value is base64(password XOR the variable's name, cycled).
pub fn btwallet_env_name(path: &Path) -> String {
    let s: String = path
        .to_string_lossy()
        .chars()
        .map(|c| if c == '/' || c == '.' { '_' } else { c })
        .collect();
    format!("BT_PW_{}", s.to_uppercase())
}

fn resolve_password(path: &Path, password: &Password) -> Result<Zeroizing<String>, WalletError> {
    if let Password::Given(p) = password {
        return Ok(p.clone());
    }
    if let Ok(p) = std::env::var("BT_WALLET_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    let name = btwallet_env_name(path);
    if let Ok(encoded) = std::env::var(&name) {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| invalid(path, format!("{name} is not base64")))?;
        let plain: Vec<u8> = bytes
            .iter()
            .zip(name.bytes().cycle())
            .map(|(b, k)| b ^ k)
            .collect();
        return String::from_utf8(plain)
            .map(Zeroizing::new)
            .map_err(|_| invalid(path, format!("{name} does not decode to text")));
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let p = rpassword::prompt_password(format!("password for {}: ", path.display()))
            .map_err(io(path))?;
        return Ok(Zeroizing::new(p));
    }
    Err(WalletError::NeedPassword(path.to_path_buf()))
}

/// Warns (on stderr) when a keyfile can be read by other users.
fn warn_if_world_readable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.permissions().mode() & 0o044 != 0 {
                tracing::warn!(file = %path.display(), "keyfile is readable by other users: chmod 600 it");
            }
        }
    }
}

/// What `create` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Created {
    /// The coldkey's SS58 address.
    pub coldkey: String,
    /// The hotkey's SS58 address.
    pub hotkey: String,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// 16 random bytes → a 12-word phrase, and its substrate mini-secret (PBKDF2-HMAC-SHA512 of the
/// entropy, salt "mnemonic", 2048 rounds, first 32 bytes), as btwallet derives keys.
fn new_secret() -> Result<(Zeroizing<String>, Zeroizing<[u8; 32]>), String> {
    let mut entropy = Zeroizing::new([0u8; 16]);
    getrandom::fill(entropy.as_mut()).map_err(|e| e.to_string())?;
    let phrase = Mnemonic::from_entropy(entropy.as_ref()).map_err(|e| e.to_string())?;
    Ok((
        Zeroizing::new(phrase.to_string()),
        mini_secret(entropy.as_ref()),
    ))
}

/// substrate-bip39's mini-secret of BIP39 `entropy` (empty passphrase).
pub fn mini_secret(entropy: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut seed = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(entropy, b"mnemonic", 2048, seed.as_mut());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&seed[..32]);
    out
}

fn keyfile_json(
    phrase: Option<&str>,
    seed: Option<&[u8; 32]>,
    public: &[u8; 32],
) -> Zeroizing<String> {
    let mut m = Map::new();
    let public_hex = format!("0x{}", hex::encode(public));
    m.insert("accountId".into(), json!(public_hex));
    m.insert("publicKey".into(), json!(public_hex));
    m.insert("ss58Address".into(), json!(bittensor(public)));
    if let Some(p) = phrase {
        m.insert("secretPhrase".into(), json!(p));
    }
    if let Some(s) = seed {
        m.insert("secretSeed".into(), json!(format!("0x{}", hex::encode(s))));
    }
    Zeroizing::new(Value::Object(m).to_string())
}

/// Writes `contents` to `path` with mode 0600, creating parent folders.
fn write_private(path: &Path, contents: &[u8], overwrite: bool) -> Result<(), WalletError> {
    if path.exists() && !overwrite {
        return Err(WalletError::Exists(path.to_path_buf()));
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        // An existing file keeps its old mode on open: set it explicitly.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io(path))?;
    }
    file.write_all(contents).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Creates a coldkey (encrypted with `coldkey_password` if given) and a plaintext hotkey, as
/// btcli lays them out: `coldkey`, `coldkeypub.txt`, `hotkeys/<hotkey>`, `hotkeys/<hotkey>pub.txt`.
/// An existing coldkey is kept (only the hotkey is added) unless `overwrite`.
pub fn create(
    paths: &WalletPaths,
    coldkey_password: Option<&str>,
    overwrite: bool,
) -> Result<Created, WalletError> {
    let fail = |e: String| invalid(&paths.hotkey_file(), format!("key generation failed: {e}"));
    let mut files = Vec::new();
    let coldkey = if paths.coldkeypub_file().exists() && !overwrite {
        load_coldkeypub(paths)?
    } else {
        let (phrase, seed) = new_secret().map_err(fail)?;
        let key = Keypair::from_secret_key(*seed).map_err(|e| fail(e.to_string()))?;
        let public = key.public_key().0;
        let json = keyfile_json(Some(&phrase), Some(&seed), &public);
        let bytes = match coldkey_password {
            Some(pw) => encrypt_nacl(json.as_bytes(), pw).map_err(fail)?,
            None => json.as_bytes().to_vec(),
        };
        write_private(&paths.coldkey_file(), &bytes, overwrite)?;
        write_private(
            &paths.coldkeypub_file(),
            keyfile_json(None, None, &public).as_bytes(),
            overwrite,
        )?;
        files.push(paths.coldkey_file());
        files.push(paths.coldkeypub_file());
        public
    };
    let (phrase, seed) = new_secret().map_err(fail)?;
    let hot = Keypair::from_secret_key(*seed).map_err(|e| fail(e.to_string()))?;
    let public = hot.public_key().0;
    write_private(
        &paths.hotkey_file(),
        keyfile_json(Some(&phrase), Some(&seed), &public).as_bytes(),
        overwrite,
    )?;
    write_private(
        &paths.hotkey_pub_file(),
        keyfile_json(None, None, &public).as_bytes(),
        overwrite,
    )?;
    files.push(paths.hotkey_file());
    files.push(paths.hotkey_pub_file());
    Ok(Created {
        coldkey: bittensor(&coldkey),
        hotkey: bittensor(&public),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> WalletPaths {
        WalletPaths {
            path: dir.to_path_buf(),
            name: "v".into(),
            hotkey: "h".into(),
        }
    }

    #[test]
    fn the_mini_secret_matches_btwallets() {
        // "legal winner thank year wave sausage worth useful legal winner thank yellow"
        // (entropy 0x7f × 16) gives secretSeed 6fa2796b…9bd2 in btwallet's files.
        let seed = mini_secret(&[0x7f; 16]);
        let h = hex::encode(seed.as_ref());
        assert!(h.starts_with("6fa2796b") && h.ends_with("9bd2"), "{h}");
        let mnemonic = Mnemonic::from_entropy(&[0x7f; 16]).unwrap();
        assert_eq!(
            Keypair::from_phrase(&mnemonic, None)
                .unwrap()
                .public_key()
                .0,
            Keypair::from_secret_key(*seed).unwrap().public_key().0
        );
    }

    /// No failing key path prints a secret: a wrong password, the password itself, a damaged
    /// keyfile holding a seed.
    #[test]
    fn failing_key_paths_never_print_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        create(&p, Some("correct horse battery"), false).unwrap();
        let wrong = "hunter2-never-printed";
        let password = Password::Given(Zeroizing::new(wrong.to_string()));
        let err = load_keypair(&p.coldkey_file(), &password).unwrap_err();
        for text in [err.to_string(), format!("{err:?}"), format!("{password:?}")] {
            assert!(!text.contains(wrong), "{text}");
            assert!(!text.contains("correct horse"), "{text}");
        }
        // A hotkey file cut in the middle of its seed.
        let seed_file = p.hotkey_file();
        let text = fs::read_to_string(&seed_file).unwrap();
        let keyfile: Value = serde_json::from_str(&text).unwrap();
        let seed = keyfile["secretSeed"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x")
            .to_string();
        fs::write(&seed_file, &text[..text.find(&seed).unwrap() + 20]).unwrap();
        let err = load_hotkey(&p, &Password::default()).unwrap_err();
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains(&seed[..20]), "{text}");
        }
    }

    #[test]
    fn create_then_load_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        let created = create(&p, None, false).unwrap();
        let hot = load_hotkey(&p, &Password::Given(Zeroizing::new(String::new()))).unwrap();
        assert_eq!(bittensor(&hot.public_key().0), created.hotkey);
        assert_eq!(bittensor(&load_coldkeypub(&p).unwrap()), created.coldkey);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in &created.files {
                assert_eq!(
                    fs::metadata(f).unwrap().permissions().mode() & 0o777,
                    0o600,
                    "{}",
                    f.display()
                );
            }
        }
        // A second hotkey under the same coldkey keeps the coldkey; the same hotkey is refused.
        assert!(matches!(
            create(&p, None, false),
            Err(WalletError::Exists(_))
        ));
        let p2 = WalletPaths {
            hotkey: "h2".into(),
            ..p.clone()
        };
        assert_eq!(create(&p2, None, false).unwrap().coldkey, created.coldkey);
    }

    #[test]
    fn bad_keyfiles_are_clear_errors_without_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = paths(dir.path());
        assert!(matches!(
            load_hotkey(&p, &Password::default()),
            Err(WalletError::Missing(_))
        ));
        write_private(
            &p.hotkey_file(),
            b"{\"secretPhrase\": \"not a phrase at all\"}",
            true,
        )
        .unwrap();
        let err = load_hotkey(&p, &Password::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a valid BIP39") && !err.contains("not a phrase at all"),
            "{err}"
        );
        write_private(&p.hotkey_file(), b"$ANSIBLE_VAULT;1.1;AES256\n00", true).unwrap();
        assert!(matches!(
            load_hotkey(&p, &Password::default()),
            Err(WalletError::UnsupportedEncryption { .. })
        ));
        write_private(&p.hotkey_file(), b"garbage", true).unwrap();
        assert!(matches!(
            load_hotkey(&p, &Password::default()),
            Err(WalletError::Invalid { .. })
        ));
    }

    #[test]
    fn btwallet_password_variable_names() {
        assert_eq!(
            btwallet_env_name(Path::new("/root/.bittensor/wallets/v/coldkey")),
            "BT_PW__ROOT__BITTENSOR_WALLETS_V_COLDKEY"
        );
    }
}
