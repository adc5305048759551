//! Public-key checks shared by the CMS signature and the certificate chain (RSA PKCS#1 v1.5,
//! ECDSA P-256/P-384 with SHA-2), and the configured trust roots.

use der::asn1::ObjectIdentifier as Oid;
use der::{Decode, DecodePem, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::Certificate;

use crate::VisionError;

const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
const EC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

/// The SHA-2 digests accepted in signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn from_digest_oid(oid: &Oid) -> Option<Self> {
        match *oid {
            SHA256 => Some(Self::Sha256),
            SHA384 => Some(Self::Sha384),
            SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The digest named by a signature algorithm (`sha256WithRSAEncryption`, ...), if any.
    fn from_signature_oid(oid: &Oid) -> Option<Self> {
        match *oid {
            RSA_SHA256 | ECDSA_SHA256 => Some(Self::Sha256),
            RSA_SHA384 | ECDSA_SHA384 => Some(Self::Sha384),
            RSA_SHA512 | ECDSA_SHA512 => Some(Self::Sha512),
            _ => None,
        }
    }

    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        match self {
            Self::Sha256 => run::<Sha256>(parts),
            Self::Sha384 => run::<Sha384>(parts),
            Self::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// Verifies `signature` over `message` with the certificate's key. `sig_alg` is the signature
/// algorithm; when it names no digest (plain `rsaEncryption`), `fallback` is used.
pub(super) fn verify(
    cert: &Certificate,
    sig_alg: &Oid,
    fallback: Option<Hash>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let hash = Hash::from_signature_oid(sig_alg)
        .or(fallback)
        .ok_or_else(|| format!("unsupported signature algorithm {sig_alg}"))?;
    let digest = hash.digest(&[message]);
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid {
        RSA => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let pk =
                rsa::RsaPublicKey::from_pkcs1_der(key).map_err(|e| format!("bad RSA key: {e}"))?;
            let scheme = match hash {
                Hash::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                Hash::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                Hash::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
            };
            pk.verify(scheme, &digest, signature)
                .map_err(|_| "signature does not verify".to_owned())
        }
        EC_KEY => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<Oid>().ok());
            let bad = |_| "signature does not verify".to_owned();
            match curve {
                Some(P256) => {
                    let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                        .map_err(|_| "bad P-256 key")?;
                    let sig = p256::ecdsa::Signature::from_der(signature).map_err(bad)?;
                    vk.verify_prehash(&digest, &sig).map_err(bad)
                }
                Some(P384) => {
                    let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                        .map_err(|_| "bad P-384 key")?;
                    let sig = p384::ecdsa::Signature::from_der(signature).map_err(bad)?;
                    vk.verify_prehash(&digest, &sig).map_err(bad)
                }
                _ => Err("unsupported elliptic curve".to_owned()),
            }
        }
        ref other => Err(format!("unsupported key algorithm {other}")),
    }
}

/// Trusted root certificates (ICP-Brasil's in production), given as configuration.
#[derive(Debug, Clone, Default)]
pub struct TrustRoots {
    certs: Vec<Certificate>,
}

impl TrustRoots {
    /// No roots: signatures can be `Valid` but never `trusted`.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every `CERTIFICATE` block of a PEM bundle.
    pub fn from_pem(pem: &[u8]) -> Result<Self, VisionError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| VisionError::InvalidDocument("root bundle is not PEM".into()))?;
        let end = "-----END CERTIFICATE-----";
        let certs = text
            .split_inclusive(end)
            .filter(|block| block.contains("-----BEGIN CERTIFICATE-----"))
            .map(|block| {
                let start = block.find("-----BEGIN").unwrap_or(0);
                Certificate::from_pem(&block[start..])
                    .map_err(|e| VisionError::InvalidDocument(format!("bad root certificate: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { certs })
    }

    /// DER certificates.
    pub fn from_der<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, VisionError> {
        let certs = ders
            .into_iter()
            .map(|d| {
                Certificate::from_der(d)
                    .map_err(|e| VisionError::InvalidDocument(format!("bad root certificate: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { certs })
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    fn contains(&self, cert: &Certificate) -> bool {
        self.certs.iter().any(|r| {
            r.tbs_certificate.subject == cert.tbs_certificate.subject
                && r.tbs_certificate.subject_public_key_info
                    == cert.tbs_certificate.subject_public_key_info
        })
    }
}

const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");

/// Whether the certificate says it is a CA (basicConstraints cA). An end-entity certificate
/// (anyone's e-CPF) must not be able to issue a signer that chains to the root.
fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == BASIC_CONSTRAINTS)
        .filter_map(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .any(|b| b.ca)
}

/// Checks that `issuer` signed `cert`.
fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify(issuer, &cert.signature_algorithm.oid, None, &tbs, sig).is_ok()
}

/// Builds the chain from `signer` through `pool` (the CMS certificates) and the roots.
/// Returns the subjects (signer first) and whether it ends, verified link by link through CA
/// certificates, at a root. Validity periods are the caller's policy (this crate has no clock).
pub(super) fn chain(
    signer: &Certificate,
    pool: &[Certificate],
    roots: &TrustRoots,
) -> (Vec<String>, bool) {
    let mut subjects = vec![signer.tbs_certificate.subject.to_string()];
    let mut current = signer;
    for _ in 0..10 {
        if roots.contains(current) {
            // a root is trusted as configured; its own signature is not the point
            return (subjects, true);
        }
        // a configured root is trusted as configured; any other issuer must be a CA
        let next = roots
            .certs
            .iter()
            .chain(pool)
            .filter(|c| roots.contains(c) || is_ca(c))
            .find(|c| !std::ptr::eq(*c, current) && signed_by(current, c));
        match next {
            Some(issuer)
                if issuer.tbs_certificate.subject != current.tbs_certificate.subject
                    || roots.contains(issuer) =>
            {
                subjects.push(issuer.tbs_certificate.subject.to_string());
                current = issuer;
            }
            _ => break,
        }
    }
    (subjects, false)
}
