//! The page: the endpoint bar and block indicator on top, then the neuron table, the W
//! heatmap, the validator view and the Yuma what-if, all reading one [`Explorer`] state.

use leptos::prelude::*;

use crate::components::endpoint_bar::EndpointBar;
use crate::components::heatmap_view::HeatmapView;
use crate::components::neuron_table::NeuronTable;
use crate::components::status::{BlockIndicator, StatusBanner};
use crate::components::validator_view::ValidatorView;
use crate::components::whatif_panel::{WhatIf, WhatIfPanel};
use crate::live::Explorer;
use crate::route::Route;

/// The explorer app.
#[component]
pub fn App() -> impl IntoView {
    let explorer = Explorer::new(&Route::current());
    provide_context(explorer);
    WhatIf::provide(explorer);
    explorer.load();
    // Keep the address bar in step with what is shown, so the view can be shared.
    Effect::new(move |_| explorer.route().replace_current());

    view! {
        <header>
            <h1>"Bittensor metagraph explorer"</h1>
            <EndpointBar/>
            <BlockIndicator/>
        </header>
        <StatusBanner/>
        <main>
            <NeuronTable/>
            <HeatmapView/>
            <ValidatorView/>
            <WhatIfPanel/>
        </main>
        <footer>
            "Read straight from the node over websocket; consensus, incentive and dividends "
            "recomputed in this page by bt-core, the validator's own code."
        </footer>
    }
}
