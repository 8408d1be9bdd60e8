//! The page's parts, each reading the shared [`crate::live::Explorer`] from context.

pub mod download;
pub mod endpoint_bar;
pub mod heatmap_view;
pub mod neuron_table;
pub mod status;
pub mod validator_picker;
pub mod validator_view;
pub mod whatif_panel;
