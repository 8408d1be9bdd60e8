//! The page's parts, each reading the shared [`crate::live::Explorer`] from context.

pub mod commit_timeline;
pub mod copy;
pub mod detail_panel;
pub mod diff_panel;
pub mod download;
pub mod endpoint_bar;
pub mod health_panel;
pub mod heatmap_view;
pub mod key_lookup;
pub mod mechanism_bar;
pub mod my_validator_panel;
pub mod neuron_table;
pub mod sparkline;
pub mod status;
pub mod subnets_overview;
pub mod time_bar;
pub mod validator_picker;
pub mod validator_view;
pub mod whatif_panel;
