//! Slack request signing (../shared/reference/ecs-platform-and-peers.md §8.1).
//!
//! Slack signs every request: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret,
//! "v0:{X-Slack-Request-Timestamp}:{raw body}")>`. We verify over the raw body bytes (before
//! any form decoding, which would not round-trip), compare in constant time (`Mac::verify_slice`),
//! and refuse timestamps more than five minutes away from our clock in *either* direction, so a
//! captured request cannot be replayed later (or pre-dated).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The largest accepted |now − timestamp|, seconds (Slack's recommendation).
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request was refused (all map to HTTP 401; nothing runs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// The timestamp is not an integer.
    #[error("malformed X-Slack-Request-Timestamp")]
    BadTimestamp,
    /// The timestamp is too old or in the future.
    #[error("request timestamp is {0} s away from the server clock (limit {MAX_SKEW_SECS} s)")]
    Skewed(i64),
    /// Not `v0=` + 64 hex digits.
    #[error("malformed X-Slack-Signature")]
    BadFormat,
    /// The HMAC does not match.
    #[error("signature mismatch")]
    Mismatch,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<HmacSha256> {
    // HMAC accepts keys of any length, so this is always `Some`.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(secret).ok()?;
    m.update(b"v0:");
    m.update(timestamp.as_bytes());
    m.update(b":");
    m.update(body);
    Some(m)
}

/// `v0=<hex>` for a body (tests and the example client use it to sign requests).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut out = String::from("v0=");
    if let Some(m) = mac(secret, timestamp, body) {
        for b in m.finalize().into_bytes().iter() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verify a request. `now` is epoch seconds.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Missing("X-Slack-Request-Timestamp"))?;
    let signature = signature.ok_or(SignatureError::Missing("X-Slack-Signature"))?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.abs() > MAX_SKEW_SECS {
        return Err(SignatureError::Skewed(skew));
    }
    let hex = signature
        .strip_prefix("v0=")
        .filter(|h| h.len() == 64)
        .ok_or(SignatureError::BadFormat)?;
    let tag = unhex(hex).ok_or(SignatureError::BadFormat)?;
    mac(secret, timestamp, body)
        .ok_or(SignatureError::Mismatch)?
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const BODY: &[u8] = b"token=x&command=%2Fdeploy&text=prod+web+v2";
    const NOW: i64 = 1_700_000_000;

    /// (name, timestamp header, signature header, body, expected)
    type Case = (
        &'static str,
        Option<String>,
        Option<String>,
        &'static [u8],
        Result<(), SignatureError>,
    );

    #[test]
    fn slack_documented_example() {
        // The example from Slack's "Verifying requests from Slack" page.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let sig = sign(SECRET, "1531420618", body);
        assert_eq!(
            sig,
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
        assert_eq!(
            verify(SECRET, Some("1531420618"), Some(&sig), body, 1531420618),
            Ok(())
        );
    }

    #[test]
    fn signature_table() {
        let ts = NOW.to_string();
        let good = sign(SECRET, &ts, BODY);
        let old = (NOW - 301).to_string();
        let future = (NOW + 301).to_string();
        let edge = (NOW - 300).to_string();
        let upper = good.to_uppercase().replace("V0=", "v0=");
        let cases: Vec<Case> = vec![
            ("valid", Some(ts.clone()), Some(good.clone()), BODY, Ok(())),
            (
                "valid at the 300 s edge",
                Some(edge.clone()),
                Some(sign(SECRET, &edge, BODY)),
                BODY,
                Ok(()),
            ),
            (
                "wrong secret",
                Some(ts.clone()),
                Some(sign(b"another-secret", &ts, BODY)),
                BODY,
                Err(SignatureError::Mismatch),
            ),
            (
                "tampered body",
                Some(ts.clone()),
                Some(good.clone()),
                b"token=x&command=%2Fdeploy&text=prod+web+v3",
                Err(SignatureError::Mismatch),
            ),
            (
                "timestamp swapped (signature of another time)",
                Some((NOW - 1).to_string()),
                Some(good.clone()),
                BODY,
                Err(SignatureError::Mismatch),
            ),
            (
                "old timestamp",
                Some(old.clone()),
                Some(sign(SECRET, &old, BODY)),
                BODY,
                Err(SignatureError::Skewed(301)),
            ),
            (
                "future timestamp",
                Some(future.clone()),
                Some(sign(SECRET, &future, BODY)),
                BODY,
                Err(SignatureError::Skewed(-301)),
            ),
            (
                "missing timestamp",
                None,
                Some(good.clone()),
                BODY,
                Err(SignatureError::Missing("X-Slack-Request-Timestamp")),
            ),
            (
                "missing signature",
                Some(ts.clone()),
                None,
                BODY,
                Err(SignatureError::Missing("X-Slack-Signature")),
            ),
            (
                "garbled timestamp",
                Some("17e8".into()),
                Some(good.clone()),
                BODY,
                Err(SignatureError::BadTimestamp),
            ),
            (
                "no v0= prefix",
                Some(ts.clone()),
                Some(good.trim_start_matches("v0=").to_owned()),
                BODY,
                Err(SignatureError::BadFormat),
            ),
            (
                "truncated",
                Some(ts.clone()),
                Some(good[..good.len() - 2].to_owned()),
                BODY,
                Err(SignatureError::BadFormat),
            ),
            (
                "not hex",
                Some(ts.clone()),
                Some(format!("v0={}", "zz".repeat(32))),
                BODY,
                Err(SignatureError::BadFormat),
            ),
            (
                "upper-case hex is the same bytes",
                Some(ts.clone()),
                Some(upper),
                BODY,
                Ok(()),
            ),
            (
                "empty signature",
                Some(ts.clone()),
                Some(String::new()),
                BODY,
                Err(SignatureError::BadFormat),
            ),
        ];
        for (name, ts, sig, body, want) in cases {
            let got = verify(SECRET, ts.as_deref(), sig.as_deref(), body, NOW);
            assert_eq!(got, want, "{name}");
        }
    }
}
