//! SS58 addresses as the Python SDK reads them: base58 of `prefix ‖ public key ‖ checksum`, the
//! checksum being the first two bytes of blake2b-512(`"SS58PRE"` ‖ prefix ‖ key). Bittensor's
//! format is 42; like the SDK (sp-core's `from_ss58check`), an address is also accepted in any
//! format of the SS58 registry it ships (1.51.0), and refused in the reserved formats 46 and 47
//! or in a format the registry does not know. `wire/tests/btauth_interop.rs` holds this against
//! the SDK for all 16,384 formats, and `bt-chain`'s view against subxt's `AccountId32`.
//!
//! The project's one SS58 codec: the validator, the miner's servers, the chain crate and the
//! explorer all print and read addresses through it.

use alloc::string::String;
use alloc::vec::Vec;
use blake2::{Blake2b512, Digest};

/// Bittensor's (and substrate's generic) address format.
pub const BITTENSOR_FORMAT: u16 = 42;

/// The formats the SDK's SS58 registry (ss58-registry 1.51.0) names, plus 42: an address in any
/// other format is refused, as the SDK refuses it.
const KNOWN_FORMATS: [u16; 146] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 48, 49, 50, 51,
    52, 53, 54, 55, 56, 57, 58, 63, 65, 66, 67, 68, 69, 71, 72, 73, 77, 78, 81, 88, 89, 90, 92, 93,
    98, 99, 100, 101, 105, 110, 113, 117, 126, 128, 129, 131, 136, 137, 172, 252, 255, 268, 420,
    440, 666, 777, 789, 995, 1110, 1221, 1222, 1284, 1285, 1328, 1337, 1516, 1985, 2007, 2009,
    2021, 2024, 2032, 2092, 2106, 2112, 2199, 2206, 2207, 2254, 3333, 4450, 5234, 5845, 6094, 7007,
    7013, 7306, 7391, 8866, 8883, 8886, 8888, 9072, 9807, 9935, 10041, 11330, 11331, 11486, 11820,
    12155, 12191, 12850, 13116, 14697, 14998,
];

/// Why an address does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ss58Error {
    /// Not base58.
    #[error("not base58")]
    Base58,
    /// Too short or too long for a 32-byte key.
    #[error("wrong length")]
    Length,
    /// The first byte is no SS58 prefix.
    #[error("invalid prefix")]
    Prefix,
    /// A reserved format (46, 47).
    #[error("reserved format {0}")]
    Reserved(u16),
    /// A format the registry does not know.
    #[error("unknown format {0}")]
    UnknownFormat(u16),
    /// The checksum does not match.
    #[error("bad checksum")]
    Checksum,
}

/// The public key of an SS58 address, and its format.
pub fn decode(address: &str) -> Result<([u8; 32], u16), Ss58Error> {
    let data = bs58::decode(address)
        .into_vec()
        .map_err(|_| Ss58Error::Base58)?;
    if data.len() < 2 {
        return Err(Ss58Error::Length);
    }
    let (prefix_len, format) = match data[0] {
        0..=63 => (1, u16::from(data[0])),
        64..=127 => {
            let lower = (data[0] << 2) | (data[1] >> 6);
            let upper = data[1] & 0b0011_1111;
            (2, u16::from(lower) | (u16::from(upper) << 8))
        }
        _ => return Err(Ss58Error::Prefix),
    };
    if data.len() != prefix_len + 32 + 2 {
        return Err(Ss58Error::Length);
    }
    if format == 46 || format == 47 {
        return Err(Ss58Error::Reserved(format));
    }
    if KNOWN_FORMATS.binary_search(&format).is_err() {
        return Err(Ss58Error::UnknownFormat(format));
    }
    let body = &data[..prefix_len + 32];
    let hash = Blake2b512::new()
        .chain_update(b"SS58PRE")
        .chain_update(body)
        .finalize();
    if data[prefix_len + 32..] != hash[..2] {
        return Err(Ss58Error::Checksum);
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&body[prefix_len..]);
    Ok((key, format))
}

/// The address of `key` in `format` (< 16384).
pub fn encode(key: &[u8; 32], format: u16) -> String {
    let format = format & 0b0011_1111_1111_1111;
    let mut body = Vec::with_capacity(36);
    if format < 64 {
        body.push(format as u8);
    } else {
        body.push((((format & 0b1111_1100) >> 2) as u8) | 0b0100_0000);
        body.push(((format >> 8) as u8) | (((format & 0b11) as u8) << 6));
    }
    body.extend_from_slice(key);
    let hash = Blake2b512::new()
        .chain_update(b"SS58PRE")
        .chain_update(&body)
        .finalize();
    body.extend_from_slice(&hash[..2]);
    bs58::encode(body).into_string()
}

/// The Bittensor (format 42) address of `key`.
pub fn bittensor(key: &[u8; 32]) -> String {
    encode(key, BITTENSOR_FORMAT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trips() {
        let key = [7u8; 32];
        let ours = bittensor(&key);
        assert_eq!(decode(&ours), Ok((key, 42)));
        for format in [0, 2, 63, 65, 255, 14998] {
            assert_eq!(decode(&encode(&key, format)), Ok((key, format)));
        }
    }

    #[test]
    fn refusals() {
        let key = [9u8; 32];
        assert_eq!(decode(&encode(&key, 46)), Err(Ss58Error::Reserved(46)));
        assert_eq!(decode(&encode(&key, 59)), Err(Ss58Error::UnknownFormat(59)));
        assert_eq!(decode("0OIl"), Err(Ss58Error::Base58));
        assert_eq!(decode(""), Err(Ss58Error::Length));
        assert_eq!(decode(&"1".repeat(80)), Err(Ss58Error::Length));
        let mut damaged = bittensor(&key).into_bytes();
        let last = damaged.len() - 1;
        damaged[last] = if damaged[last] == b'2' { b'3' } else { b'2' };
        assert_eq!(
            decode(std::str::from_utf8(&damaged).unwrap()),
            Err(Ss58Error::Checksum)
        );
        // 42 written with two prefix bytes is still 42 (the SDK takes it too).
        let mut body = vec![0x4a, 0x80];
        body.extend_from_slice(&key);
        let hash = Blake2b512::new()
            .chain_update(b"SS58PRE")
            .chain_update(&body)
            .finalize();
        body.extend_from_slice(&hash[..2]);
        assert_eq!(decode(&bs58::encode(body).into_string()), Ok((key, 42)));
    }
}
