//! A small line chart of one uid's history (one metric), an SVG polyline with a caption.

use bt_core::history::Series;
use leptos::prelude::*;

use crate::chart::{caption, marker_x, points, title, HEIGHT, WIDTH};

/// The chart of `series`, with the past block shown (if it is one of its epochs) marked.
#[component]
pub fn Sparkline(
    /// The values to draw.
    series: Series,
    /// The block the page shows, when pinned.
    shown: Option<u64>,
) -> impl IntoView {
    let marker = shown.and_then(|b| marker_x(&series, b)).map(|x| {
        let x = format!("{x:.1}");
        view! { <line class="shown" x1=x.clone() x2=x y1="0" y2=HEIGHT></line> }
    });
    let view_box = format!("0 0 {WIDTH} {HEIGHT}");
    let name = series.metric.name();
    let stored: Vec<String> = series.points.iter().map(|p| p.stored.to_string()).collect();
    let blocks: Vec<String> = series.points.iter().map(|p| p.block.to_string()).collect();
    view! {
        <figure class="spark" data-metric=name data-stored=stored.join(",") data-blocks=blocks.join(",")>
            <svg viewBox=view_box width=WIDTH height=HEIGHT role="img">
                <title>{title(&series)}</title>
                {marker}
                <polyline points=points(&series)></polyline>
            </svg>
            <figcaption>{caption(&series)}</figcaption>
        </figure>
    }
}
