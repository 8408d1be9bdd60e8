//! The subnet's epoch schedule as the chain keeps it: which commit-reveal epoch a block is
//! in, and how many blocks of inactivity make a validator inactive.
//!
//! Two generations of rules: runtimes with dynamic tempo (spec ≥ 423) count epochs in
//! `SubnetEpochIndex` and fire them at `LastEpochBlock + tempo`; before them an epoch was a
//! window of `tempo + 1` blocks shifted by the netuid.

/// The commit-reveal epoch of `block` on a runtime without dynamic tempo (spec < 423):
/// `(block + netuid + 1) / (tempo + 1)` (subtensor `get_epoch_index`). Never use it on a
/// dynamic-tempo runtime: `set_tempo`, owner-triggered and deferred epochs move the epochs.
pub fn legacy_epoch_index(netuid: u16, tempo: u16, block: u64) -> u64 {
    let tempo_plus_one = u64::from(tempo).saturating_add(1);
    block
        .saturating_add(u64::from(netuid).saturating_add(1))
        .checked_div(tempo_plus_one)
        .unwrap_or(0)
}

/// The epoch's activity cutoff in blocks on a dynamic-tempo runtime:
/// `ActivityCutoffFactorMilli × tempo / 1000`, at least 1 (subtensor
/// `get_activity_cutoff_blocks`).
pub fn activity_cutoff_blocks(factor_milli: u64, tempo: u16) -> u64 {
    factor_milli
        .saturating_mul(u64::from(tempo))
        .checked_div(1000)
        .unwrap_or(0)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_epochs_are_windows_of_tempo_plus_one_shifted_by_the_netuid() {
        // netuid 2, tempo 10: blocks 8..=18 are epoch 1 (8 + 3 = 11).
        assert_eq!(legacy_epoch_index(2, 10, 7), 0);
        assert_eq!(legacy_epoch_index(2, 10, 8), 1);
        assert_eq!(legacy_epoch_index(2, 10, 18), 1);
        assert_eq!(legacy_epoch_index(2, 10, 19), 2);
        assert_eq!(legacy_epoch_index(0, u16::MAX, u64::MAX), u64::MAX / 65536);
    }

    #[test]
    fn activity_cutoff_scales_with_tempo_and_is_at_least_one() {
        // The migration's 5000 blocks at tempo 360 became 13 889 ‰.
        assert_eq!(activity_cutoff_blocks(13_889, 360), 5000);
        assert_eq!(activity_cutoff_blocks(13_889, 10), 138);
        assert_eq!(activity_cutoff_blocks(0, 360), 1);
        assert_eq!(activity_cutoff_blocks(u64::MAX, u16::MAX), u64::MAX / 1000);
    }
}
