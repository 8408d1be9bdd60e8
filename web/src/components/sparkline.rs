//! A small line chart of one uid's history (one metric), an SVG polyline with a caption.

use bt_core::history::Series;
use leptos::prelude::*;

use crate::chart::{caption, points, title, HEIGHT, WIDTH};

/// The chart of `series`.
#[component]
pub fn Sparkline(
    /// The values to draw.
    series: Series,
) -> impl IntoView {
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    let name = series.metric.name();
    let stored: Vec<String> = series.points.iter().map(|p| p.stored.to_string()).collect();
    let blocks: Vec<String> = series.points.iter().map(|p| p.block.to_string()).collect();
    view! {
        <figure class="spark" data-metric=name data-stored=stored.join(",") data-blocks=blocks.join(",")>
            <svg viewBox=view_box width=WIDTH height=HEIGHT role="img">
                <title>{title(&series)}</title>
                <polyline points=points(&series)></polyline>
            </svg>
            <figcaption>{caption(&series)}</figcaption>
        </figure>
    }
}
