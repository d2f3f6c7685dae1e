//! ECDSA P-256 key pairs in cosign's formats.
//!
//! The public key is a PEM `PUBLIC KEY` (PKIX SubjectPublicKeyInfo). The private key is the
//! PKCS#8 DER of the key, sealed with NaCl secretbox (XSalsa20-Poly1305, a 24-byte nonce)
//! under a key derived from the password with scrypt (32-byte salt, N=32768, r=8, p=1), the
//! JSON document `{"kdf":…,"cipher":…,"ciphertext":…}` armoured as
//! `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign ≥ 2.0) or `ENCRYPTED COSIGN PRIVATE KEY` (older
//! cosign, read only). An empty password is allowed, as cosign allows it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::XSalsa20Poly1305;
use crypto_secretbox::aead::{Aead, KeyInit};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::error::{Result, TrustError};
use crate::pem;

/// The label cosign 2.x writes on private keys.
pub const SIGSTORE_PRIVATE_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The label cosign 1.x wrote; still read.
pub const COSIGN_PRIVATE_KEY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "nacl/secretbox";
/// cosign's scrypt cost: N=2^15, r=8, p=1.
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
/// The most expensive scrypt a key file may ask for (N=2^20, 1 GiB with r=8): newer
/// go-securesystemslib writes N=2^16; anything far above is a denial of service, not a key.
const MAX_SCRYPT_LOG_N: u8 = 20;
const SALT_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;

/// A private signing key. Its bytes never appear in `Debug` output or errors.
pub struct PrivateKey {
    signing: SigningKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.public_key().id())
    }
}

/// A public verification key, named by where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    verifying: VerifyingKey,
}

/// Why a signature did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureFault {
    NotBase64,
    NotDer,
    Mismatch,
}

impl std::fmt::Display for SignatureFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignatureFault::NotBase64 => "the signature is not base64",
            SignatureFault::NotDer => "the signature is not an ASN.1 DER ECDSA signature (truncated or corrupted)",
            SignatureFault::Mismatch => {
                "the signature does not match the payload for this key (wrong key, or the payload or signature changed)"
            }
        })
    }
}

impl PrivateKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<Self> {
        loop {
            let mut bytes = Zeroizing::new([0u8; 32]);
            getrandom::fill(bytes.as_mut())
                .map_err(|e| TrustError::key("generation", format!("no randomness: {e}")))?;
            // Fails only for zero or values ≥ the group order (probability ~2^-32).
            if let Ok(signing) = SigningKey::from_slice(bytes.as_ref()) {
                return Ok(PrivateKey { signing });
            }
        }
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            verifying: *self.signing.verifying_key(),
        }
    }

    /// ECDSA over SHA-256 of `message`, ASN.1 DER encoded (what cosign stores, base64).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        let der: DerSignature = signature.to_der();
        der.as_bytes().to_vec()
    }

    /// The key as cosign writes `cosign.key`, sealed with `password`.
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<Zeroizing<String>> {
        let der = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| TrustError::key("encoding", format!("PKCS#8: {e}")))?;
        let mut salt = [0u8; SALT_BYTES];
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut salt).map_err(|e| TrustError::key("encryption", e))?;
        getrandom::fill(&mut nonce).map_err(|e| TrustError::key("encryption", e))?;
        let params = ScryptParams {
            n: 1 << SCRYPT_LOG_N,
            r: SCRYPT_R,
            p: SCRYPT_P,
        };
        let secret = derive_key(password, &salt, &params, "encryption")?;
        let cipher = XSalsa20Poly1305::new(secret.as_ref().into());
        let sealed = cipher
            .encrypt(nonce.as_ref().into(), der.as_bytes())
            .map_err(|_| TrustError::key("encryption", "secretbox failed"))?;
        let document = EncryptedKey {
            kdf: Kdf {
                name: KDF_NAME.into(),
                params,
                salt: STANDARD.encode(salt),
            },
            cipher: Cipher {
                name: CIPHER_NAME.into(),
                nonce: STANDARD.encode(nonce),
            },
            ciphertext: STANDARD.encode(&sealed),
        };
        let json = serde_json::to_vec(&document).expect("plain structs serialize");
        Ok(Zeroizing::new(pem::encode(SIGSTORE_PRIVATE_KEY_LABEL, &json)))
    }

    /// Reads a cosign private key file (either label) and opens it with `password`.
    /// `what` names the file in errors.
    pub fn from_encrypted_pem(text: &str, password: &[u8], what: &str) -> Result<Self> {
        let document = EncryptedKey::parse(text, what)?;
        document.open(password, what)
    }
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` holding a P-256 key.
    pub fn from_pem(text: &str, what: &str) -> Result<Self> {
        let block = pem::decode(text, what)?;
        if block.label != PUBLIC_KEY_LABEL {
            return Err(TrustError::key(
                what,
                format!("a `{}` PEM block, not `{PUBLIC_KEY_LABEL}`", block.label),
            ));
        }
        let verifying = VerifyingKey::from_public_key_der(&block.data).map_err(|e| {
            TrustError::key(
                what,
                format!("not an ECDSA P-256 public key ({e}); drydock and cosign keys are P-256"),
            )
        })?;
        Ok(PublicKey { verifying })
    }

    pub fn to_pem(&self) -> String {
        let der = self
            .verifying
            .to_public_key_der()
            .expect("a valid P-256 point always encodes");
        pem::encode(PUBLIC_KEY_LABEL, der.as_bytes())
    }

    /// A short, stable name of the key: `sha256:` and the first 16 hex digits of the
    /// SHA-256 of its DER SubjectPublicKeyInfo.
    pub fn id(&self) -> String {
        let der = self
            .verifying
            .to_public_key_der()
            .expect("a valid P-256 point always encodes");
        let hash = Sha256::digest(der.as_bytes());
        format!("sha256:{}", &hex::encode(hash)[..16])
    }

    /// Checks a DER signature over `message` (ECDSA P-256, SHA-256).
    pub fn verify(&self, message: &[u8], der_signature: &[u8]) -> Result<(), SignatureFault> {
        let signature = Signature::from_der(der_signature).map_err(|_| SignatureFault::NotDer)?;
        self.verifying
            .verify(message, &signature)
            .map_err(|_| SignatureFault::Mismatch)
    }

    /// Checks a base64 DER signature, as stored in annotations and DSSE envelopes.
    pub fn verify_base64(&self, message: &[u8], signature: &str) -> Result<(), SignatureFault> {
        let der = STANDARD
            .decode(signature.trim().as_bytes())
            .map_err(|_| SignatureFault::NotBase64)?;
        self.verify(message, &der)
    }
}

/// The JSON document inside an encrypted private key PEM, in the field order cosign writes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedKey {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cipher {
    name: String,
    nonce: String,
}

impl EncryptedKey {
    /// Parses the PEM and its JSON document without decrypting (cheap; no scrypt).
    pub fn parse(text: &str, what: &str) -> Result<Self> {
        let block = pem::decode(text, what)?;
        if block.label != SIGSTORE_PRIVATE_KEY_LABEL && block.label != COSIGN_PRIVATE_KEY_LABEL {
            return Err(TrustError::key(
                what,
                format!(
                    "a `{}` PEM block; a cosign private key is `{SIGSTORE_PRIVATE_KEY_LABEL}` or `{COSIGN_PRIVATE_KEY_LABEL}`",
                    block.label
                ),
            ));
        }
        let document: EncryptedKey = serde_json::from_slice(&block.data)
            .map_err(|e| TrustError::key(what, format!("the encrypted key document is not valid: {e}")))?;
        document.check(what)?;
        Ok(document)
    }

    fn check(&self, what: &str) -> Result<()> {
        if self.kdf.name != KDF_NAME {
            return Err(TrustError::key(
                what,
                format!("unsupported key derivation `{}` (cosign uses scrypt)", self.kdf.name),
            ));
        }
        if self.cipher.name != CIPHER_NAME {
            return Err(TrustError::key(
                what,
                format!("unsupported cipher `{}` (cosign uses nacl/secretbox)", self.cipher.name),
            ));
        }
        let params = &self.kdf.params;
        let log_n = log2_exact(params.n);
        if params.r != SCRYPT_R
            || params.p != SCRYPT_P
            || !log_n.is_some_and(|l| (SCRYPT_LOG_N..=MAX_SCRYPT_LOG_N).contains(&l))
        {
            return Err(TrustError::key(
                what,
                format!(
                    "scrypt parameters N={} r={} p={} are outside what cosign writes (N a power of two from 2^15 to 2^20, r=8, p=1)",
                    params.n, params.r, params.p
                ),
            ));
        }
        let salt = decode_field(&self.kdf.salt, "salt", what)?;
        if salt.is_empty() {
            return Err(TrustError::key(what, "the scrypt salt is empty"));
        }
        let nonce = decode_field(&self.cipher.nonce, "nonce", what)?;
        if nonce.len() != NONCE_BYTES {
            return Err(TrustError::key(
                what,
                format!("the secretbox nonce has {} bytes, not {NONCE_BYTES}", nonce.len()),
            ));
        }
        decode_field(&self.ciphertext, "ciphertext", what)?;
        Ok(())
    }

    /// Derives the key from `password` and opens the box. A wrong password and a corrupted
    /// file look the same to secretbox; the error says both.
    pub fn open(&self, password: &[u8], what: &str) -> Result<PrivateKey> {
        let salt = decode_field(&self.kdf.salt, "salt", what)?;
        let nonce = decode_field(&self.cipher.nonce, "nonce", what)?;
        let sealed = decode_field(&self.ciphertext, "ciphertext", what)?;
        let secret = derive_key(password, &salt, &self.kdf.params, what)?;
        let cipher = XSalsa20Poly1305::new(secret.as_ref().into());
        let der = Zeroizing::new(
            cipher
                .decrypt(nonce.as_slice().into(), sealed.as_slice())
                .map_err(|_| TrustError::key(what, "wrong password, or the encrypted key is corrupted"))?,
        );
        let signing = SigningKey::from_pkcs8_der(&der)
            .map_err(|e| TrustError::key(what, format!("the decrypted key is not a PKCS#8 ECDSA P-256 key ({e})")))?;
        Ok(PrivateKey { signing })
    }
}

fn decode_field(text: &str, field: &str, what: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(text.as_bytes())
        .map_err(|e| TrustError::key(what, format!("the {field} is not base64 ({e})")))
}

fn log2_exact(n: u64) -> Option<u8> {
    (n.is_power_of_two()).then(|| n.trailing_zeros() as u8)
}

fn derive_key(password: &[u8], salt: &[u8], params: &ScryptParams, what: &str) -> Result<Zeroizing<[u8; 32]>> {
    let log_n = log2_exact(params.n).ok_or_else(|| TrustError::key(what, "scrypt N is not a power of two"))?;
    let scrypt_params = scrypt::Params::new(log_n, params.r, params.p)
        .map_err(|_| TrustError::key(what, "invalid scrypt parameters"))?;
    let mut secret = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &scrypt_params, secret.as_mut())
        .map_err(|_| TrustError::key(what, "scrypt failed"))?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify_and_survive_encryption() {
        let key = PrivateKey::generate().unwrap();
        let signature = key.sign(b"payload");
        key.public_key().verify(b"payload", &signature).unwrap();
        assert_eq!(
            key.public_key().verify(b"payloaD", &signature),
            Err(SignatureFault::Mismatch)
        );
        let pem = key.to_encrypted_pem(b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let again = PrivateKey::from_encrypted_pem(&pem, b"pw", "k").unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let wrong = PrivateKey::from_encrypted_pem(&pem, b"pW", "k")
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("wrong password"), "{wrong}");
        let public = PublicKey::from_pem(&key.public_key().to_pem(), "p").unwrap();
        assert_eq!(public, key.public_key());
    }

    #[test]
    fn encrypted_document_has_cosigns_shape() {
        let key = PrivateKey::generate().unwrap();
        let pem = key.to_encrypted_pem(b"").unwrap();
        let block = pem::decode(&pem, "k").unwrap();
        let json: serde_json::Value = serde_json::from_slice(&block.data).unwrap();
        assert_eq!(json["kdf"]["name"], "scrypt");
        assert_eq!(json["kdf"]["params"], serde_json::json!({"N": 32768, "r": 8, "p": 1}));
        assert_eq!(
            STANDARD.decode(json["kdf"]["salt"].as_str().unwrap()).unwrap().len(),
            32
        );
        assert_eq!(json["cipher"]["name"], "nacl/secretbox");
        assert_eq!(
            STANDARD
                .decode(json["cipher"]["nonce"].as_str().unwrap())
                .unwrap()
                .len(),
            24
        );
        let text = String::from_utf8(block.data).unwrap();
        assert!(
            text.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":""#),
            "{text}"
        );
        // An empty password works, as with cosign.
        PrivateKey::from_encrypted_pem(&pem, b"", "k").unwrap();
    }

    #[test]
    fn hostile_scrypt_costs_are_refused_before_deriving() {
        let document = r#"{"kdf":{"name":"scrypt","params":{"N":4294967296,"r":8,"p":1},"salt":"AAAA"},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAA"}"#;
        let pem = pem::encode(SIGSTORE_PRIVATE_KEY_LABEL, document.as_bytes());
        let error = EncryptedKey::parse(&pem, "k").err().unwrap().to_string();
        assert!(error.contains("scrypt parameters"), "{error}");
    }

    #[test]
    fn signature_faults_are_told_apart() {
        let key = PrivateKey::generate().unwrap();
        let public = key.public_key();
        let signature = STANDARD.encode(key.sign(b"m"));
        assert_eq!(public.verify_base64(b"m", &signature), Ok(()));
        assert_eq!(
            public.verify_base64(b"m", "not base64!"),
            Err(SignatureFault::NotBase64)
        );
        let truncated = STANDARD.encode(&key.sign(b"m")[..30]);
        assert_eq!(public.verify_base64(b"m", &truncated), Err(SignatureFault::NotDer));
    }
}
