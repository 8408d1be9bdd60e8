//! The what-if budget in WebAssembly, in headless chromium: the page's recompute
//! (`bt_core::whatif::compare` against the epoch of the state as it is, what the what-if
//! panel times) on a 256-uid subnet of 64 validators weighting and bonding every uid (the
//! synthetic subnet of `core/benches/common/subnet.rs`, Yuma3 with liquid alpha), with one
//! mechanism and with two (a 25/75 split), ten weight edits each, in one run. Prints both
//! medians and checks the two-mechanism one against one frame (16 ms).
//!
//! The test command runs it in release (`scripts/test.sh`, step `wasm-budget`), as the
//! page's wasm is built: a debug build times nothing a user sees. It lives with bt-core, whose
//! code it times, so that the release build is bt-core's alone (not the explorer's).
#![cfg(target_arch = "wasm32")]

#[path = "../benches/common/subnet.rs"]
mod subnet;

use bt_core::metagraph::{Mechanism, Metagraph, Neuron};
use bt_core::whatif::{compare, now, Scenario};
use bt_core::yuma::SubnetEpochInput;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The budget: one frame.
const FRAME_MS: f64 = 16.0;

/// Milliseconds since the page started.
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The synthetic epoch input as the metagraph the page holds (mechanism 0 shown).
fn metagraph(input: &SubnetEpochInput) -> Metagraph {
    let n = usize::from(input.n);
    let shown = &input.mechanisms[0];
    let mut mg = Metagraph {
        netuid: 1,
        block: input.current_block,
        spec_version: 425,
        owner_uid: input.owner_uid,
        neurons: (0..n)
            .map(|uid| Neuron {
                uid: uid as u16,
                hotkey: [(uid % 251) as u8; 32],
                alpha_stake: input.alpha_stake[uid],
                tao_stake: input.tao_stake[uid],
                validator_permit: input.validator_permit[uid],
                block_at_registration: input.block_at_registration[uid],
                last_update: shown.last_update[uid],
                weights: shown.weights[uid].clone(),
                bonds: shown.bonds[uid].clone(),
                ..Neuron::default()
            })
            .collect(),
        mechanisms: input
            .mechanisms
            .iter()
            .enumerate()
            .map(|(m, x)| Mechanism {
                mecid: m as u8,
                incentive: vec![0; n],
                last_update: x.last_update.clone(),
                weights: x.weights.clone(),
                bonds: x.bonds.clone(),
                ..Mechanism::default()
            })
            .collect(),
        ..Metagraph::default()
    };
    let p = &input.params;
    let h = &mut mg.hyperparams;
    h.tempo = p.tempo;
    h.kappa = p.kappa;
    h.max_allowed_validators = p.max_allowed_validators;
    h.yuma3 = p.yuma3_enabled;
    h.liquid_alpha_enabled = p.liquid_alpha_enabled;
    h.bonds_penalty = p.bonds_penalty;
    h.mechanism_count = p.mechanism_count;
    h.mechanism_emission_split = p.mechanism_emission_split.clone().unwrap_or_default();
    h.stake_threshold = input.stake_threshold;
    h.tao_weight = input.tao_weight;
    h.activity_cutoff = u64::from(p.activity_cutoff);
    mg
}

/// Ten timed edits of validator 1's row, each as the page makes one: one weight changed. Five
/// edits run first, untimed: the browser compiles WebAssembly in tiers (a quick baseline
/// first, optimised code for what runs hot), and a page in use runs optimised code.
fn recomputes(mg: &Metagraph) -> Vec<f64> {
    let epoch = now(mg).expect("the epoch of the state as it is");
    let row = mg.neurons[1].weights.clone();
    let mut ms: Vec<f64> = (0..15)
        .map(|k| {
            let mut edited = row.clone();
            edited[k * 7].1 = 1000 * (k as u16 % 10 + 1);
            let scenario = Scenario {
                validator: 1,
                weights: Some(edited),
                stake: None,
            };
            let start = now_ms();
            let outcome = compare(mg, &epoch, &scenario);
            let took = now_ms() - start;
            assert!(outcome.is_ok(), "{outcome:?}");
            took
        })
        .skip(5)
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

#[wasm_bindgen_test]
fn a_two_mechanism_what_if_at_256_uids_fits_in_a_frame() {
    let one = recomputes(&metagraph(&subnet::subnet(256, 64, true, 1)));
    let two = recomputes(&metagraph(&subnet::subnet(256, 64, true, 2)));
    let median = |v: &[f64]| v[v.len() / 2];
    console_log!(
        "WHATIF_WASM 256 uids, 10 edits: one mechanism median {:.1} ms (worst {:.1}), two mechanisms median {:.1} ms (worst {:.1}), budget {FRAME_MS} ms",
        median(&one),
        one[one.len() - 1],
        median(&two),
        two[two.len() - 1]
    );
    assert!(
        median(&two) <= FRAME_MS,
        "the two-mechanism what-if takes {:.1} ms (median of 10), over one frame",
        median(&two)
    );
}
