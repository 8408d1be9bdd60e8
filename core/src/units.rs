//! The chain's units as people read them: u16 proportions as fractions of 1, rao as whole
//! tokens (α or τ, 10⁹ rao each), and their text with a fixed number of decimals.

use alloc::format;
use alloc::string::String;

/// Rao per token (α or τ).
pub const RAO_PER_TOKEN: u64 = 1_000_000_000;

/// A u16 proportion as a fraction of 1 (`x / 65535`, as the SDK shows it).
pub fn fraction(x: u16) -> f64 {
    f64::from(x) / f64::from(u16::MAX)
}

/// Rao as tokens (`rao / 10⁹`).
pub fn tokens(rao: u64) -> f64 {
    rao as f64 / RAO_PER_TOKEN as f64
}

/// A u16 proportion as a fraction with 4 decimals (`65535` → `1.0000`).
pub fn fraction_text(x: u16) -> String {
    format!("{:.4}", fraction(x))
}

/// A u16 proportion as a percentage with 1 decimal (`32768` → `50.0%`).
pub fn percent_text(x: u16) -> String {
    format!("{:.1}%", fraction(x) * 100.0)
}

/// Rao as whole tokens with 4 decimals, truncated, exact for any u64
/// (`1_500_000_000` → `1.5000`).
pub fn tokens_text(rao: u64) -> String {
    let whole = rao / RAO_PER_TOKEN;
    let frac = (rao % RAO_PER_TOKEN) / 100_000;
    format!("{whole}.{frac:04}")
}

/// A signed change of rao as tokens with a sign and 4 decimals (`-1_500_000_000` →
/// `−1.5000`, `0` → `0.0000`).
pub fn tokens_delta_text(delta: i64) -> String {
    let text = tokens_text(delta.unsigned_abs());
    match delta.signum() {
        1 => format!("+{text}"),
        -1 => format!("−{text}"),
        _ => text,
    }
}

/// A signed change of a u16 proportion as a fraction with a sign and 4 decimals.
pub fn fraction_delta_text(delta: i64) -> String {
    let value = delta as f64 / f64::from(u16::MAX);
    match delta.signum() {
        1 => format!("+{value:.4}"),
        -1 => format!("−{:.4}", -value),
        _ => format!("{value:.4}"),
    }
}

/// Tokens typed as a decimal (`1.5`, `1000`, `0.000000001`) as rao, exactly; None for
/// anything else (a sign, an exponent, more than 9 decimals, or more than u64 holds).
pub fn parse_tokens(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if (whole.is_empty() && frac.is_empty())
        || frac.len() > 9
        || !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_rao: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        frac_rao *= 10;
    }
    whole.checked_mul(RAO_PER_TOKEN)?.checked_add(frac_rao)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_as_people_read_them() {
        assert_eq!(fraction_text(u16::MAX), "1.0000");
        assert_eq!(fraction_text(40_000), "0.6104");
        assert_eq!(percent_text(32768), "50.0%");
        assert_eq!(tokens_text(1_500_000_000), "1.5000");
        assert_eq!(tokens_text(123), "0.0000");
        assert_eq!(tokens_text(u64::MAX), "18446744073.7095");
        assert_eq!(tokens_delta_text(-1_500_000_000), "−1.5000");
        assert_eq!(tokens_delta_text(2_000_000_000), "+2.0000");
        assert_eq!(tokens_delta_text(i64::MIN), "−9223372036.8547");
        assert_eq!(fraction_delta_text(65535), "+1.0000");
        assert_eq!(fraction_delta_text(-6554), "−0.1000");
        assert_eq!(fraction_delta_text(0), "0.0000");
        assert_eq!(tokens(2_500_000_000), 2.5);
        assert_eq!(fraction(0), 0.0);
        assert_eq!(parse_tokens("1.5"), Some(1_500_000_000));
        assert_eq!(parse_tokens(" 1000 "), Some(1_000_000_000_000));
        assert_eq!(parse_tokens(".000000001"), Some(1));
        assert_eq!(parse_tokens("2."), Some(2_000_000_000));
        assert_eq!(
            parse_tokens(&tokens_text(123_456_700_000)),
            Some(123_456_700_000)
        );
        for bad in ["", ".", "-1", "1e3", "0.0000000001", "1.2.3", "99999999999"] {
            assert_eq!(parse_tokens(bad), None, "{bad}");
        }
    }
}
