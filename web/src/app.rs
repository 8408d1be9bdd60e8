//! The page: the endpoint bar and block indicator on top, the mechanism and time controls,
//! then the subnets overview, the neuron table next to the detail panel (a uid's history and
//! why it earns what it earns), the W heatmap, the validator view next to the what-if, and
//! the health flags next to the diff of two epochs, "My validator" (a validator's own status)
//! next to every validator's commit-reveal timeline, and the key lookup across subnets, all
//! reading one [`Explorer`] state.

use leptos::prelude::*;

use crate::components::commit_timeline::CommitTimeline;
use crate::components::detail_panel::DetailPanel;
use crate::components::diff_panel::DiffPanel;
use crate::components::endpoint_bar::EndpointBar;
use crate::components::health_panel::HealthPanel;
use crate::components::heatmap_view::HeatmapView;
use crate::components::key_lookup::KeyLookupPanel;
use crate::components::mechanism_bar::MechanismBar;
use crate::components::my_validator_panel::MyValidatorPanel;
use crate::components::neuron_table::NeuronTable;
use crate::components::status::{BlockIndicator, StatusBanner};
use crate::components::subnets_overview::SubnetsOverview;
use crate::components::time_bar::TimeBar;
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
        <nav id="toolbar">
            <MechanismBar/>
            <TimeBar/>
        </nav>
        <main>
            <SubnetsOverview/>
            <div class="split">
                <NeuronTable/>
                <DetailPanel/>
            </div>
            <HeatmapView/>
            <div class="split even">
                <ValidatorView/>
                <WhatIfPanel/>
            </div>
            <div class="split even">
                <HealthPanel/>
                <DiffPanel/>
            </div>
            <div class="split even">
                <MyValidatorPanel/>
                <CommitTimeline/>
            </div>
            <KeyLookupPanel/>
        </main>
        <footer>
            "Read straight from the node over websocket, at the newest block or any past one; consensus, incentive and dividends "
            "recomputed in this page by bt-core, the validator's own code."
        </footer>
    }
}
