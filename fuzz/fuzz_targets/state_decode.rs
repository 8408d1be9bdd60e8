//! The validator's state-file decoder on arbitrary bytes: it returns a state or a reason, never
//! panics, and whatever it accepts re-encodes to a file it accepts again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = validator::state::decode(data) {
        let bytes = validator::state::encode(&state).expect("a decoded state encodes");
        assert_eq!(validator::state::decode(&bytes).expect("and decodes again"), state);
    }
});
