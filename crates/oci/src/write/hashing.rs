//! Incremental hashing with the algorithm a digest names, for checking blobs as they pass.

use drydock_model::Digest;
use sha2::{Digest as _, Sha256, Sha512};

pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher for the algorithm of `like`.
    pub fn for_digest(like: &Digest) -> Self {
        if like.is_sha256() {
            Hasher::Sha256(Sha256::new())
        } else {
            Hasher::Sha512(Sha512::new())
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> Digest {
        let text = match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        };
        text.parse().expect("a hash is always a well-formed digest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_one_shot_digests() {
        let sha256 = crate::source::sha256_digest(b"abc");
        let mut hasher = Hasher::for_digest(&sha256);
        hasher.update(b"a");
        hasher.update(b"bc");
        assert_eq!(hasher.finish(), sha256);
        let sha512: Digest = format!("sha512:{}", "0".repeat(128)).parse().unwrap();
        let mut hasher = Hasher::for_digest(&sha512);
        hasher.update(b"abc");
        assert!(hasher.finish().to_string().starts_with("sha512:ddaf35a1"));
    }
}
