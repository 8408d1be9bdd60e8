//! The W heatmap (validators × uids) of the selected mechanism on a canvas: zoom, a B
//! toggle, a tooltip with the exact u16 and its normalised value (the core's W), a click that
//! opens the column's uid in the detail panel, and W exports. Each draw's duration is written to the
//! canvas's `data-redraw-ms`; the first time the table and the heatmap are both on screen is
//! written to `<html data-first-render-ms>` (milliseconds since navigation start).

use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::components::download::download;
use crate::export::{weights_csv, weights_json, Export};
use crate::heatmap::{Grid, Layer};
use crate::live::{now_ms, Explorer};

/// The default cell size: the grid about 960 px wide, cells 2 to 24 px.
fn fit_cell(grid: &Grid) -> u32 {
    (960 / grid.cols.max(1) as u32)
        .clamp(2, 24)
        .min(grid.max_cell())
}

/// Draws `grid` at `cell` pixels per cell; returns the milliseconds it took.
fn draw(canvas: &HtmlCanvasElement, grid: &Grid, cell: u32) -> Option<f64> {
    let start = now_ms();
    let (w, h) = grid.size(cell);
    canvas.set_width(w.max(1));
    canvas.set_height(h.max(1));
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    if w == 0 || h == 0 {
        return Some(now_ms() - start);
    }
    let pixels = grid.rgba(cell);
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), w, h).ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()?;
    Some(now_ms() - start)
}

/// Records the first moment the table has rows and the heatmap is drawn.
fn mark_first_render() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = document.document_element() else {
        return;
    };
    if root.has_attribute("data-first-render-ms") {
        return;
    }
    if let Ok(Some(_)) = document.query_selector("#neurons tbody tr") {
        let _ = root.set_attribute("data-first-render-ms", &format!("{:.1}", now_ms()));
    }
}

/// The heatmap section.
#[component]
pub fn HeatmapView() -> impl IntoView {
    let explorer = expect_context::<Explorer>();
    let layer = RwSignal::new(Layer::Weights);
    let zoom = RwSignal::new(None::<u32>);
    // The cell under the pointer and the pointer's viewport position (the tooltip is fixed,
    // so the scrolling frame cannot clip it).
    let hover = RwSignal::new(None::<(usize, usize, f64, f64)>);
    let redraw_ms = RwSignal::new(None::<f64>);
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();

    let grid = Memo::new(move |_| {
        let layer = layer.get();
        explorer
            .metagraph
            .with(|m| m.as_ref().map(|m| Grid::new(m, layer)))
    });
    let cell = Memo::new(move |_| {
        grid.with(|g| {
            g.as_ref()
                .map(|g| {
                    zoom.get()
                        .unwrap_or_else(|| fit_cell(g))
                        .clamp(1, g.max_cell())
                })
                .unwrap_or(4)
        })
    });

    // Returns how many draws ran so far (`data-redraws`: tells two equally fast ones apart).
    Effect::new(move |draws: Option<u64>| {
        let draws = draws.unwrap_or(0);
        let cell = cell.get();
        let Some(canvas) = canvas_ref.get() else {
            return draws;
        };
        let draws = grid.with(|g| {
            let Some(g) = g else { return draws };
            let mut draws = draws;
            if let Some(ms) = draw(&canvas, g, cell) {
                draws += 1;
                redraw_ms.set(Some(ms));
                let _ = canvas.set_attribute("data-redraw-ms", &format!("{ms:.2}"));
                let _ = canvas.set_attribute("data-redraws", &draws.to_string());
            }
            let rows: Vec<String> = g.rows.iter().map(u16::to_string).collect();
            let _ = canvas.set_attribute("data-rows", &rows.join(","));
            let _ = canvas.set_attribute("data-cell", &cell.to_string());
            draws
        });
        request_animation_frame(mark_first_render);
        draws
    });

    let on_move = move |ev: web_sys::MouseEvent| {
        let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let cell = cell.get_untracked();
        let hit = grid.with_untracked(|g| g.as_ref().and_then(|g| g.cell_at(x, y, cell)));
        let (cx, cy) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        hover.set(hit.map(|(r, c)| (r, c, cx, cy)));
    };
    let on_click = move |ev: web_sys::MouseEvent| {
        let (x, y) = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let cell = cell.get_untracked();
        let hit = grid.with_untracked(|g| g.as_ref().and_then(|g| g.cell_at(x, y, cell)));
        if let Some((_, col)) = hit {
            explorer.focus.set(u16::try_from(col).ok());
        }
    };
    let tooltip = move || {
        hover.get().and_then(|(r, c, x, y)| {
            grid.with(|g| g.as_ref().and_then(|g| g.tooltip(r, c)))
                .map(|text| (text, x, y))
        })
    };
    let export = move |make: fn(&bt_core::metagraph::Metagraph) -> Export| {
        explorer.metagraph.with_untracked(|m| {
            if let Some(m) = m {
                let _ = download(&make(m));
            }
        })
    };
    let set_zoom = move |factor: f64| {
        let next = (f64::from(cell.get_untracked()) * factor).round() as u32;
        zoom.set(Some(next.max(1)));
    };

    view! {
        <section id="heatmap">
            <h2>{move || format!("{} heatmap, mechanism {}", layer.get().letter(), explorer.mecid.get())}</h2>
            <div class="controls">
                <button id="layer-w" class:active=move || layer.get() == Layer::Weights on:click=move |_| layer.set(Layer::Weights)>"W (weights)"</button>
                <button id="layer-b" class:active=move || layer.get() == Layer::Bonds on:click=move |_| layer.set(Layer::Bonds)>"B (bonds)"</button>
                <button id="zoom-out" on:click=move |_| set_zoom(0.5)>"−"</button>
                <button id="zoom-in" on:click=move |_| set_zoom(2.0)>"+"</button>
                <button id="zoom-fit" on:click=move |_| zoom.set(None)>"fit"</button>
                <span class="count">{move || format!("{} px per cell", cell.get())}</span>
                <button id="export-w-csv" on:click=move |_| export(weights_csv)>"W as CSV"</button>
                <button id="export-w-json" on:click=move |_| export(weights_json)>"W as JSON"</button>
                <span id="redraw" class="count">{move || redraw_ms.get().map(|ms| format!("drawn in {ms:.1} ms")).unwrap_or_default()}</span>
            </div>
            <p class="legend">
                {move || grid.with(|g| match g {
                    Some(g) if g.is_empty() => format!("No uid holds a row of {} yet: nothing to draw.", g.layer.letter()),
                    Some(g) => format!("Rows: the {} uids with a row ({}); columns: uids 0–{}. Pale grey is zero; darker is a larger share of the row. Click a cell to explain its uid.",
                        g.rows.len(),
                        g.rows.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
                        g.cols.saturating_sub(1)),
                    None => String::new(),
                })}
            </p>
            <div class="heatmap-wrap">
                <canvas id="heatmap-canvas" node_ref=canvas_ref
                    on:mousemove=on_move
                    on:click=on_click
                    on:mouseleave=move |_| hover.set(None)></canvas>
                {move || tooltip().map(|(text, x, y)| view! {
                    <div id="heatmap-tooltip" class="tooltip"
                        style:left=format!("{}px", x + 14.0)
                        style:top=format!("{}px", y + 14.0)>{text}</div>
                })}
            </div>
        </section>
    }
}
