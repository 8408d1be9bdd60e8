//! The chain interfaces the code uses (`bt_chain::items::USED`, one list) against three
//! runtimes: spec 475 through the descriptors bittensor 11.3.0 ships (`bittensor/_generated`,
//! "generated from runtime metadata by codegen", from a runtime of spec 475 or later: it has
//! `SubnetEpochConsensus`, `ConsensusByMechanism` and no legacy `Alpha`), and specs 425 and
//! 385 through the metadata of the runtimes in `chain/specs/`, each on a chopsticks node.
//!
//! For every entry: present exactly where the list says; a storage item's value type one the
//! decoder takes; a call's argument names the list's, in order; a runtime API method offered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bt_chain::items::{Kind, Used, GENERATIONS, USED};
use bt_chain::localnet::{Localnet, LocalnetConfig, VendoredSpec};
use bt_chain::Chain;
use scale_info::{form::PortableForm, PortableRegistry, TypeDef};
use serde::Deserialize;

fn repo() -> PathBuf {
    LocalnetConfig::find_repo(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the checkout, after npm ci (scripts/setup.sh)")
}

/// What SDK 11.3.0's generated descriptors declare.
#[derive(Debug, Deserialize)]
struct Descriptors {
    /// pallet → item → value type.
    storage: BTreeMap<String, BTreeMap<String, String>>,
    /// pallet → call → argument names.
    calls: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// API → methods.
    runtime_apis: BTreeMap<String, Vec<String>>,
}

const DUMP: &str = r#"
import inspect, json
import bittensor, bittensor._generated.storage as st, bittensor._generated.calls as ca
import bittensor._generated.runtime_apis as ra
def classes(module):
    return [(n, c) for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__]
storage = {n: {k: v.value_type_ident for k, v in vars(c).items() if isinstance(v, st.Item)} for n, c in classes(st)}
calls = {n: {k: list(inspect.signature(f).parameters) for k, f in vars(c).items() if isinstance(f, staticmethod)} for n, c in classes(ca)}
apis = {n: [k for k, v in vars(c).items() if isinstance(v, ra.Method)] for n, c in classes(ra)}
print(json.dumps({"sdk": bittensor.__version__, "storage": storage, "calls": calls, "runtime_apis": apis}))
"#;

fn sdk_descriptors() -> Descriptors {
    let python = repo().join(".venv-sdk-11/bin/python");
    let out = Command::new(&python)
        .args(["-c", DUMP])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} (scripts/setup.sh test creates it): {e}",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "the SDK's descriptors: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["sdk"], "11.3.0", "the pinned SDK");
    serde_json::from_value(v).expect("descriptors")
}

fn name(u: &Used) -> String {
    format!("{:?} {}.{}", u.kind, u.pallet, u.name)
}

/// Spec 475, as the SDK's descriptors declare it.
#[test]
fn every_interface_we_use_is_where_the_sdk_11_descriptors_put_it() {
    let d = sdk_descriptors();
    let mut problems = Vec::new();
    for u in USED {
        let expected = u.present[2];
        let found: Option<Vec<String>> = match u.kind {
            Kind::Storage => d
                .storage
                .get(u.pallet)
                .and_then(|p| p.get(u.name))
                .map(|t| vec![t.clone()]),
            Kind::Call => d.calls.get(u.pallet).and_then(|p| p.get(u.name)).cloned(),
            Kind::RuntimeApi => d
                .runtime_apis
                .get(u.pallet)
                .filter(|methods| methods.iter().any(|m| m == u.name))
                .map(|_| Vec::new()),
        };
        match (expected, found) {
            (true, None) => {
                problems.push(format!("{}: listed at 475, absent from the SDK", name(u)))
            }
            (false, Some(_)) => problems.push(format!(
                "{}: listed as absent at 475, the SDK has it",
                name(u)
            )),
            (true, Some(shape)) => match u.kind {
                Kind::Storage if !u.shape.contains(&shape[0].as_str()) => problems.push(format!(
                    "{}: the SDK's value type {} is not one the decoder takes ({:?})",
                    name(u),
                    shape[0],
                    u.shape
                )),
                Kind::Call if shape != u.shape => problems.push(format!(
                    "{}: the SDK's arguments {shape:?}, the list's {:?}",
                    name(u),
                    u.shape
                )),
                _ => {}
            },
            (false, None) => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A type as the SDK's codegen and this list name it: primitives, `Vec<…>`, tuples, and
/// composites or variants by the last segment of their path.
fn type_name(types: &PortableRegistry, id: u32) -> String {
    let Some(ty) = types.resolve(id) else {
        return format!("#{id}");
    };
    let path = || ty.path.segments.last().cloned().unwrap_or_default();
    match &ty.type_def {
        TypeDef::Primitive(p) => format!("{p:?}").to_lowercase(),
        TypeDef::Sequence(s) => format!("Vec<{}>", type_name(types, s.type_param.id)),
        TypeDef::Tuple(t) => format!(
            "({})",
            t.fields
                .iter()
                .map(|f| type_name(types, f.id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDef::Composite(_) | TypeDef::Variant(_) if !ty.path.segments.is_empty() => path(),
        TypeDef::Compact(c) => type_name(types, c.type_param.id),
        TypeDef::Array(a) => format!("[{}; {}]", type_name(types, a.type_param.id), a.len),
        other => format!("{:?}", other as &TypeDef<PortableForm>),
    }
}

async fn check_spec(spec: &str) -> Vec<String> {
    let repo = repo();
    let mut config = LocalnetConfig::for_repo(&repo);
    config.chain_spec = VendoredSpec::by_name(spec).expect("vendored").path(&repo);
    let node = Localnet::start(&config)
        .await
        .expect("the local chain starts");
    let chain = Chain::connect(&node.endpoint(), Duration::from_secs(30))
        .await
        .expect("connects");
    let at = chain.at_best().await.expect("the best block");
    let version = at.spec_version();
    let generation = GENERATIONS
        .iter()
        .position(|g| g.to_string() == spec)
        .expect("a generation the list knows");
    assert_eq!(
        version.to_string(),
        spec,
        "the vendored runtime's spec_version"
    );
    let metadata = at.metadata();
    let types = metadata.types();
    let mut problems = Vec::new();
    for u in USED {
        let expected = u.present[generation];
        let pallet = metadata.pallet_by_name(u.pallet);
        let found: Option<Vec<String>> = match u.kind {
            Kind::Storage => pallet
                .and_then(|p| p.storage())
                .and_then(|s| s.entry_by_name(u.name))
                .map(|e| vec![type_name(types, e.value_ty())]),
            Kind::Call => pallet
                .and_then(|p| p.call_variant_by_name(u.name))
                .map(|v| {
                    v.fields
                        .iter()
                        .map(|f| f.name.clone().unwrap_or_default())
                        .collect()
                }),
            Kind::RuntimeApi => metadata
                .runtime_api_trait_by_name(u.pallet)
                .and_then(|t| t.method_by_name(u.name))
                .map(|_| Vec::new()),
        };
        match (expected, found) {
            (true, None) => problems.push(format!("{}: listed at {spec}, absent there", name(u))),
            (false, Some(_)) => problems.push(format!(
                "{}: listed as absent at {spec}, present there",
                name(u)
            )),
            (true, Some(shape)) => match u.kind {
                Kind::Storage if !u.shape.contains(&shape[0].as_str()) => problems.push(format!(
                    "{}: value type {} at {spec} is not one the decoder takes ({:?})",
                    name(u),
                    shape[0],
                    u.shape
                )),
                // Older runtimes may carry fewer trailing arguments (the list notes where
                // the code fills them); the names they have agree.
                Kind::Call
                    if !u
                        .shape
                        .starts_with(&shape.iter().map(String::as_str).collect::<Vec<_>>())
                        && shape != u.shape =>
                {
                    problems.push(format!(
                        "{}: arguments {shape:?} at {spec}, the list's {:?}",
                        name(u),
                        u.shape
                    ))
                }
                _ => {}
            },
            (false, None) => {}
        }
    }
    node.stop().await;
    problems
}

/// Specs 425 and 385, from the metadata of the runtimes this repository carries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_interface_we_use_is_where_the_vendored_runtimes_put_it() {
    let mut problems = check_spec("425").await;
    problems.extend(check_spec("385").await);
    assert!(problems.is_empty(), "{problems:#?}");
}
