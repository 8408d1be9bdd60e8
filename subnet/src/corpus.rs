//! The reference subnet's data: a synthetic, deterministic corpus of tweets (ids, text, author,
//! timestamp, hashtags) that miners search, so the whole subnet runs offline.

use serde::{Deserialize, Serialize};

/// One tweet, with masa's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tweet {
    /// Digits only, no leading zero.
    #[serde(rename = "ID")]
    pub id: String,
    /// The text.
    pub text: String,
    /// Display name.
    pub name: String,
    /// Handle.
    pub username: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Hashtags without '#'.
    pub hashtags: Vec<String>,
}

/// Topics the corpus talks about (queries are drawn from these).
pub const TOPICS: &[&str] = &[
    "bitcoin",
    "ethereum",
    "bittensor",
    "solana",
    "ai",
    "defi",
    "nft",
    "mining",
    "staking",
    "validator",
];
const WORDS: &[&str] = &[
    "price",
    "news",
    "today",
    "launch",
    "update",
    "market",
    "rally",
    "dip",
    "community",
    "build",
    "release",
    "network",
    "fees",
    "yield",
    "chart",
];
const AUTHORS: &[&str] = &[
    "satoshi", "vitalik", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// SplitMix64: small, seedable, good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// `size` tweets from `seed`, all from the last `max_age_s` seconds before `now` (unix s).
pub fn generate(seed: u64, size: usize, now: i64, max_age_s: i64) -> Vec<Tweet> {
    let mut rng = Rng::new(seed);
    (0..size)
        .map(|i| {
            let topic = TOPICS[rng.below(TOPICS.len())];
            let words: Vec<&str> = (0..4).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            let author = AUTHORS[rng.below(AUTHORS.len())];
            let mut hashtags = vec![topic.to_string()];
            if rng.below(2) == 0 {
                hashtags.push(TOPICS[rng.below(TOPICS.len())].to_string());
            }
            Tweet {
                // 19 digits starting with 1: unique per index and seed, never a leading zero.
                id: format!("1{:09}{:09}", seed % 1_000_000_000, i),
                text: format!(
                    "{} {} {} {} {}",
                    words[0], topic, words[1], words[2], words[3]
                ),
                name: format!("{} {}", author, rng.below(1000)),
                username: author.to_string(),
                timestamp: now - (rng.below(max_age_s.max(1) as usize) as i64),
                hashtags,
            }
        })
        .collect()
}

/// masa's query match: every whitespace token of the lower-cased, quote-stripped query is a
/// substring of the text, name, username or hashtags.
pub fn matches(tweet: &Tweet, query: &str) -> bool {
    let q = query.trim().trim_matches('"').to_lowercase();
    let haystack = format!(
        "{} {} {} {:?}",
        tweet.text, tweet.name, tweet.username, tweet.hashtags
    )
    .to_lowercase();
    q.split_whitespace().all(|token| haystack.contains(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_digits_only_ids_and_recent() {
        let a = generate(7, 500, 1_700_000_000, 3600);
        assert_eq!(a, generate(7, 500, 1_700_000_000, 3600));
        let ids: std::collections::HashSet<&str> = a.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), 500);
        assert!(a
            .iter()
            .all(|t| t.id.bytes().all(|b| b.is_ascii_digit()) && !t.id.starts_with('0')));
        assert!(a
            .iter()
            .all(|t| t.timestamp > 1_700_000_000 - 3600 && t.timestamp <= 1_700_000_000));
        assert!(a.iter().filter(|t| matches(t, "\"bitcoin\"")).count() > 10);
        assert!(a.iter().all(|t| !matches(t, "zzzz")));
    }
}
