//! The Yuma consensus epoch as the subtensor runtime runs it (being written).
