//! The six btauth headers as received, and how each is read — exactly as the SDK reads them
//! (Python's `int()` for the nonce, `bytes.fromhex` for the signature, the SDK's crypto names),
//! so that a request the SDK accepts is accepted here and the same one refused is refused with
//! the same error. Header values are bytes on the wire; like Python's HTTP servers we read them
//! as Latin-1.

use std::borrow::Cow;

use super::protocol::{
    AuthError, Malformed, Scheme, HEADER_CRYPTO, HEADER_HOTKEY, HEADER_NONCE, HEADER_RECEIVER,
    HEADER_SIGNATURE, HEADER_VERSION,
};

/// The btauth headers of one request, unchecked. Absent headers are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawHeaders<'a> {
    /// `X-Bittensor-Version`.
    pub version: Option<Cow<'a, str>>,
    /// `X-Bittensor-Hotkey`.
    pub hotkey: Option<Cow<'a, str>>,
    /// `X-Bittensor-Receiver`.
    pub receiver: Option<Cow<'a, str>>,
    /// `X-Bittensor-Nonce`.
    pub nonce: Option<Cow<'a, str>>,
    /// `X-Bittensor-Crypto`.
    pub crypto: Option<Cow<'a, str>>,
    /// `X-Bittensor-Signature`.
    pub signature: Option<Cow<'a, str>>,
}

/// A header value's bytes as Latin-1 text (borrowed when it is ASCII, as it nearly always is).
fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) if s.is_ascii() => Cow::Borrowed(s),
        _ => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

impl<'a> RawHeaders<'a> {
    fn slot(&mut self, name: &str) -> Option<(&'static str, &mut Option<Cow<'a, str>>)> {
        let pick = |canonical: &'static str| name.eq_ignore_ascii_case(canonical);
        Some(if pick(HEADER_VERSION) {
            (HEADER_VERSION, &mut self.version)
        } else if pick(HEADER_HOTKEY) {
            (HEADER_HOTKEY, &mut self.hotkey)
        } else if pick(HEADER_RECEIVER) {
            (HEADER_RECEIVER, &mut self.receiver)
        } else if pick(HEADER_NONCE) {
            (HEADER_NONCE, &mut self.nonce)
        } else if pick(HEADER_CRYPTO) {
            (HEADER_CRYPTO, &mut self.crypto)
        } else if pick(HEADER_SIGNATURE) {
            (HEADER_SIGNATURE, &mut self.signature)
        } else {
            return None;
        })
    }

    /// Picks the btauth headers out of `(name, value)` pairs (names in any case). A header
    /// given twice is malformed: the SDK would silently keep the last one.
    pub fn from_pairs<I, V>(pairs: I) -> Result<Self, AuthError>
    where
        I: IntoIterator<Item = (&'a str, V)>,
        V: Into<Cow<'a, str>>,
    {
        let mut out = RawHeaders::default();
        for (name, value) in pairs {
            if let Some((canonical, slot)) = out.slot(name) {
                if slot.is_some() {
                    return Err(AuthError::Malformed(Malformed::Repeated(canonical)));
                }
                *slot = Some(value.into());
            }
        }
        Ok(out)
    }

    /// The btauth headers of an HTTP request.
    pub fn from_http(headers: &'a http::HeaderMap) -> Result<Self, AuthError> {
        Self::from_pairs(
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), latin1(value.as_bytes()))),
        )
    }
}

/// Python's `str.isspace()` for what `int()` strips: ASCII whitespace without the separators
/// 0x1c–0x1f (which `int()` leaves), plus Latin-1's NEL and no-break space.
fn python_int_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | '\u{85}' | '\u{a0}'
    )
}

/// Python's limit on the digits `int()` converts (`sys.int_info.default_max_str_digits`).
const PYTHON_MAX_STR_DIGITS: usize = 4300;

/// A nonce read as Python's `int(text)`: surrounding whitespace, a sign, decimal digits with
/// single underscores between them. Values beyond `i128` saturate: they are stale either way.
pub fn parse_nonce(text: &str) -> Result<i128, AuthError> {
    let bad = AuthError::Malformed(Malformed::Nonce);
    let text = text.trim_matches(python_int_space);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i128 = 0;
    let mut count = 0usize;
    let mut after_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                value = value
                    .saturating_mul(10)
                    .saturating_add(i128::from(b - b'0'));
                count += 1;
                after_digit = true;
            }
            b'_' if after_digit => after_digit = false,
            _ => return Err(bad),
        }
    }
    if count == 0 || !after_digit || count > PYTHON_MAX_STR_DIGITS {
        return Err(bad);
    }
    Ok(if negative { -value } else { value })
}

/// `X-Bittensor-Crypto` as the SDK reads it: absent is sr25519; otherwise stripped and
/// lower-cased, `sr25519`/`ed25519` or the crypto-type numbers `1`/`0` (leading zeros too).
pub fn parse_crypto(text: Option<&str>) -> Result<Scheme, AuthError> {
    let Some(text) = text else {
        return Ok(Scheme::Sr25519);
    };
    let text = text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c));
    if text.eq_ignore_ascii_case("sr25519") {
        return Ok(Scheme::Sr25519);
    }
    if text.eq_ignore_ascii_case("ed25519") {
        return Ok(Scheme::Ed25519);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        match text.trim_start_matches('0') {
            "" => return Ok(Scheme::Ed25519),
            "1" => return Ok(Scheme::Sr25519),
            _ => {}
        }
    }
    Err(AuthError::Malformed(Malformed::Crypto))
}

/// The signature as `bytes.fromhex(text.removeprefix("0x"))`: hex pairs, either case, ASCII
/// whitespace allowed between pairs.
pub fn parse_signature(text: &str) -> Result<Vec<u8>, AuthError> {
    let bad = AuthError::Malformed(Malformed::SignatureHex);
    let hex = text.strip_prefix("0x").unwrap_or(text).as_bytes();
    let nibble = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut i = 0;
    while i < hex.len() {
        if space(hex[i]) {
            i += 1;
            continue;
        }
        let high = nibble(hex[i]).ok_or_else(|| bad.clone())?;
        let low = hex
            .get(i + 1)
            .copied()
            .and_then(nibble)
            .ok_or_else(|| bad.clone())?;
        out.push(high << 4 | low);
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_read_as_python_int_reads_them() {
        for (text, want) in [
            ("123", Some(123)),
            (" +1_0 ", Some(10)),
            ("\u{a0}12\u{85}", Some(12)),
            ("007", Some(7)),
            ("-5", Some(-5)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("\u{1c}12", None),
            ("", None),
            ("+", None),
            ("0x10", None),
            ("1e9", None),
        ] {
            assert_eq!(parse_nonce(text).ok(), want, "{text:?}");
        }
        assert!(parse_nonce(&"1".repeat(4300)).is_ok());
        assert!(parse_nonce(&"1".repeat(4301)).is_err());
        assert!(parse_nonce(&format!("{}1", "1_".repeat(4299))).is_ok());
        assert_eq!(parse_nonce(&"9".repeat(60)), Ok(i128::MAX));
    }

    #[test]
    fn crypto_names_and_numbers() {
        assert_eq!(parse_crypto(None), Ok(Scheme::Sr25519));
        for (text, want) in [
            ("sr25519", Some(Scheme::Sr25519)),
            (" ED25519 ", Some(Scheme::Ed25519)),
            ("0", Some(Scheme::Ed25519)),
            ("001", Some(Scheme::Sr25519)),
            ("2", None),
            ("", None),
            ("ecdsa", None),
        ] {
            assert_eq!(parse_crypto(Some(text)).ok(), want, "{text:?}");
        }
    }

    #[test]
    fn signatures_read_as_bytes_fromhex_reads_them() {
        assert_eq!(parse_signature("0xAbcd"), Ok(vec![0xab, 0xcd]));
        assert_eq!(parse_signature("ab cd\t"), Ok(vec![0xab, 0xcd]));
        assert_eq!(parse_signature("abcd"), Ok(vec![0xab, 0xcd]));
        assert_eq!(parse_signature("0x"), Ok(vec![]));
        for bad in ["0X00", "a bcd", "abc", "\u{1c}00", "00\u{a0}", "zz"] {
            assert!(parse_signature(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers_by_any_case_and_never_twice() {
        let h = RawHeaders::from_pairs([
            ("x-bittensor-version", "1"),
            ("X-BITTENSOR-NONCE", "5"),
            ("content-type", "x"),
        ])
        .unwrap();
        assert_eq!(h.version.as_deref(), Some("1"));
        assert_eq!(h.nonce.as_deref(), Some("5"));
        assert_eq!(h.hotkey, None);
        assert_eq!(
            RawHeaders::from_pairs([("X-Bittensor-Nonce", "1"), ("x-bittensor-nonce", "2")]),
            Err(AuthError::Malformed(Malformed::Repeated(HEADER_NONCE)))
        );
        let mut map = http::HeaderMap::new();
        map.insert(
            "x-bittensor-hotkey",
            http::HeaderValue::from_bytes(b"5\xa0").unwrap(),
        );
        let h = RawHeaders::from_http(&map).unwrap();
        assert_eq!(h.hotkey.as_deref(), Some("5\u{a0}"));
    }
}
