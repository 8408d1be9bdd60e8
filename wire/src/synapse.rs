//! The Bittensor synapse on the wire (SDK v9/v10): the JSON body (base fields, the two
//! terminal infos, then the subnet's own fields), the `bt_header_*` headers, the body hash and
//! the message a dendrite signs. Both the dendrite and the axon use this module.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha3::{Digest, Sha3_256};

/// The SDK version we announce (9.0.0 as `version_as_int`); ≥ 7002000 turns on the axon's nonce
/// time window, which is what a current dendrite must satisfy.
pub const SDK_VERSION: i64 = 9_000_000;

/// A subnet's request/response type: the request the validator sends, which the miner returns
/// with its answer filled in. On the Synapse protocol it travels as the Python class declares
/// it; on btauth as a plain JSON body posted to [`Synapse::ROUTE`].
pub trait Synapse: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The Python class name: the URL path and the `name` field (Synapse protocol).
    const NAME: &'static str;
    /// The route miners serve it at over btauth (`POST`, JSON in, JSON out), e.g.
    /// `/recent_tweets`.
    const ROUTE: &'static str;
    /// The fields the Python class declares without a default, each with the JSON of an empty
    /// value of its type (`""`, `0`, `[]`, `{}`, `false`): the SDK sends these as
    /// `bt_header_input_obj_*` so the axon can build the class from headers.
    const REQUIRED: &'static [(&'static str, &'static str)];
    /// Python's `str()` of each field in the class's `required_hash_fields`, in order (most
    /// synapses have none).
    fn hash_field_reprs(&self) -> Vec<String> {
        Vec::new()
    }
}

/// An integer the SDK sometimes sends as a string (`"8091"`) or null.
fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrText {
        Int(i64),
        Float(f64),
        Text(String),
    }
    Ok(match Option::<IntOrText>::deserialize(d)? {
        None => None,
        Some(IntOrText::Int(i)) => Some(i),
        Some(IntOrText::Float(f)) => Some(f as i64),
        Some(IntOrText::Text(s)) => s.trim().parse().ok(),
    })
}

/// `TerminalInfo`: one end of a request (dendrite or axon). All fields optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminalInfo {
    /// HTTP-like status.
    #[serde(default, deserialize_with = "lenient_int")]
    pub status_code: Option<i64>,
    /// Status text.
    #[serde(default)]
    pub status_message: Option<String>,
    /// Seconds the request took.
    #[serde(default)]
    pub process_time: Option<f64>,
    /// IP address.
    #[serde(default)]
    pub ip: Option<String>,
    /// Port.
    #[serde(default, deserialize_with = "lenient_int")]
    pub port: Option<i64>,
    /// SDK version as an integer.
    #[serde(default, deserialize_with = "lenient_int")]
    pub version: Option<i64>,
    /// Nonce (wall-clock ns).
    #[serde(default, deserialize_with = "lenient_int")]
    pub nonce: Option<i64>,
    /// The terminal's uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// SS58 hotkey.
    #[serde(default)]
    pub hotkey: Option<String>,
    /// `0x` + 64-byte sr25519 signature in hex.
    #[serde(default)]
    pub signature: Option<String>,
}

/// The whole JSON body: the base `Synapse` fields, then the subnet's fields flattened in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The class name.
    pub name: String,
    /// Seconds the dendrite waits.
    pub timeout: f64,
    /// Size bookkeeping of CPython objects; any integer.
    #[serde(default, deserialize_with = "lenient_int")]
    pub total_size: Option<i64>,
    /// Same.
    #[serde(default, deserialize_with = "lenient_int")]
    pub header_size: Option<i64>,
    /// The caller.
    #[serde(default)]
    pub dendrite: Option<TerminalInfo>,
    /// The callee.
    #[serde(default)]
    pub axon: Option<TerminalInfo>,
    /// Left empty by the SDK (the hash travels in a header).
    #[serde(default)]
    pub computed_body_hash: Option<String>,
    /// The subnet's fields.
    #[serde(flatten)]
    pub body: T,
}

/// `hex(sha3_256(concat(hex(sha3_256(repr_i)))))`, or sha3_256("") without hash fields.
pub fn body_hash<T: Synapse>(synapse: &T) -> String {
    let mut concat = String::new();
    for repr in synapse.hash_field_reprs() {
        concat.push_str(&hex::encode(Sha3_256::digest(repr.as_bytes())));
    }
    hex::encode(Sha3_256::digest(concat.as_bytes()))
}

/// The message a dendrite signs: `{nonce}.{dendrite_hotkey}.{axon_hotkey}.{uuid}.{body_hash}`.
pub fn signing_message(
    nonce: i64,
    dendrite_hotkey: &str,
    axon_hotkey: &str,
    uuid: &str,
    body_hash: &str,
) -> String {
    format!("{nonce}.{dendrite_hotkey}.{axon_hotkey}.{uuid}.{body_hash}")
}

/// `bt_header_input_obj_*` values: base64 of each required field's empty JSON.
pub fn input_obj_headers<T: Synapse>() -> Vec<(String, String)> {
    T::REQUIRED
        .iter()
        .map(|(field, empty)| {
            (
                format!("bt_header_input_obj_{field}"),
                base64::engine::general_purpose::STANDARD.encode(empty.as_bytes()),
            )
        })
        .collect()
}

/// The `bt_header_{prefix}_{field}` headers of a terminal (non-null fields only).
pub fn terminal_headers(prefix: &str, t: &TerminalInfo) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push((format!("bt_header_{prefix}_{k}"), v));
        }
    };
    put("status_code", t.status_code.map(|x| x.to_string()));
    put("status_message", t.status_message.clone());
    put("process_time", t.process_time.map(|x| x.to_string()));
    put("ip", t.ip.clone());
    put("port", t.port.map(|x| x.to_string()));
    put("version", t.version.map(|x| x.to_string()));
    put("nonce", t.nonce.map(|x| x.to_string()));
    put("uuid", t.uuid.clone());
    put("hotkey", t.hotkey.clone());
    put("signature", t.signature.clone());
    out
}

/// Reads a terminal back from `bt_header_{prefix}_*` headers.
pub fn terminal_from_headers(prefix: &str, get: impl Fn(&str) -> Option<String>) -> TerminalInfo {
    let key = |k: &str| get(&format!("bt_header_{prefix}_{k}"));
    let int = |k: &str| {
        key(k)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|f| f as i64)
    };
    TerminalInfo {
        status_code: int("status_code"),
        status_message: key("status_message"),
        process_time: key("process_time").and_then(|v| v.parse().ok()),
        ip: key("ip"),
        port: int("port"),
        version: int("version"),
        nonce: key("nonce").and_then(|v| v.trim().parse().ok()),
        uuid: key("uuid"),
        hotkey: key("hotkey"),
        signature: key("signature"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synapse like `class Query(bt.Synapse): query: str; count: Optional[int] = None;
    /// response: Optional[Any] = None`.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    struct Query {
        query: String,
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        response: Option<serde_json::Value>,
    }
    impl Synapse for Query {
        const NAME: &'static str = "Query";
        const ROUTE: &'static str = "/query";
        const REQUIRED: &'static [(&'static str, &'static str)] = &[("query", "\"\"")];
    }

    #[test]
    fn body_hash_without_fields_is_sha3_of_nothing() {
        assert_eq!(
            body_hash(&Query::default()),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
    }

    #[derive(Clone, Serialize, Deserialize)]
    struct Hashed {
        a: String,
        b: Vec<serde_json::Value>,
    }
    impl Synapse for Hashed {
        const NAME: &'static str = "Hashed";
        const ROUTE: &'static str = "/hashed";
        const REQUIRED: &'static [(&'static str, &'static str)] = &[];
        fn hash_field_reprs(&self) -> Vec<String> {
            vec![self.a.clone(), "[1, 'y']".into()]
        }
    }

    #[test]
    fn body_hash_with_fields_chains_the_field_hashes() {
        // The SDK's value for a="x", b=[1, 'y'] starts with 072b621a.
        let h = body_hash(&Hashed {
            a: "x".into(),
            b: vec![],
        });
        assert!(h.starts_with("072b621a"), "{h}");
    }

    #[test]
    fn headers_and_body_round_trip() {
        assert_eq!(
            input_obj_headers::<Query>(),
            vec![("bt_header_input_obj_query".to_string(), "IiI=".to_string())]
        );
        let t = TerminalInfo {
            ip: Some("127.0.0.2".into()),
            port: Some(8091),
            hotkey: Some("5F".into()),
            ..TerminalInfo::default()
        };
        let headers = terminal_headers("axon", &t);
        let back = terminal_from_headers("axon", |k| {
            headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        });
        assert_eq!(back, t);
        // Bodies from the SDK carry ints as strings at times, and nulls everywhere.
        let json = r#"{"name":"Query","timeout":12,"total_size":"3043","header_size":0,
            "dendrite":{"status_code":null,"ip":"1.2.3.4","port":null,"version":"10002000","nonce":1795553193744736714},
            "axon":{"status_code":200,"port":"8901"},"computed_body_hash":"","query":"bitcoin","count":null,"response":null}"#;
        let e: Envelope<Query> = serde_json::from_str(json).unwrap();
        assert_eq!(e.body.query, "bitcoin");
        assert_eq!(e.dendrite.as_ref().unwrap().version, Some(10_002_000));
        assert_eq!(e.axon.as_ref().unwrap().port, Some(8901));
        assert_eq!(e.total_size, Some(3043));
    }
}
