//! The heatmap's model: W (or B) as a dense validators × uids grid of the chain's u16 values,
//! its pixels at a zoom, the cell under a pointer, and the tooltip text. Pure data; the
//! component only copies the pixels to a canvas.
//!
//! W's normalised values are the core's: [`Metagraph::weight_row`], the SDK's definition
//! (f32, NumPy's pairwise sum), the one the validator's `metagraph` command prints too.

use bt_core::metagraph::Metagraph;
use bt_core::units::fraction;

/// Which matrix the heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layer {
    /// `Weights`: what validators sent (max-upscaled u16 per row).
    #[default]
    Weights,
    /// `Bonds`: what the epoch accumulated.
    Bonds,
}

impl Layer {
    /// The matrix's letter, as the SDK's metagraph names it.
    pub fn letter(self) -> &'static str {
        match self {
            Layer::Weights => "W",
            Layer::Bonds => "B",
        }
    }
}

/// Largest canvas side the zoom may produce (browsers refuse much larger canvases).
pub const MAX_CANVAS_SIDE: u32 = 8192;

/// The rows (uids that hold a non-empty row of the layer) and every uid as a column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// The matrix shown.
    pub layer: Layer,
    /// The uid of each row.
    pub rows: Vec<u16>,
    /// Number of columns (the subnet's n).
    pub cols: usize,
    /// Row-major u16 values, `rows.len() × cols`.
    cells: Vec<u16>,
    /// W only: each row as the core normalises it (`rows.len() × cols`).
    normalized: Vec<f32>,
}

impl Grid {
    /// The grid of `layer` in `metagraph`. Entries for uids ≥ n are ignored; a uid that
    /// appears twice in a row (the chain forbids it) keeps its last value.
    pub fn new(metagraph: &Metagraph, layer: Layer) -> Self {
        let cols = metagraph.n();
        let mut rows = Vec::new();
        let mut cells = Vec::new();
        let mut normalized = Vec::new();
        for neuron in &metagraph.neurons {
            let entries = match layer {
                Layer::Weights => &neuron.weights,
                Layer::Bonds => &neuron.bonds,
            };
            if entries.is_empty() {
                continue;
            }
            let start = cells.len();
            cells.resize(start + cols, 0u16);
            for &(uid, value) in entries {
                let uid = usize::from(uid);
                if uid < cols {
                    cells[start + uid] = value;
                }
            }
            if layer == Layer::Weights {
                let row = metagraph.weight_row(neuron.uid).unwrap_or_default();
                normalized.extend(row.iter().copied().chain(std::iter::repeat(0.0)).take(cols));
            }
            rows.push(neuron.uid);
        }
        Self {
            layer,
            rows,
            cols,
            cells,
            normalized,
        }
    }

    /// True when no uid holds a row of this layer.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() || self.cols == 0
    }

    /// The stored u16 at (row index, column uid).
    pub fn value(&self, row: usize, col: usize) -> Option<u16> {
        if row >= self.rows.len() || col >= self.cols {
            return None;
        }
        self.cells.get(row * self.cols + col).copied()
    }

    /// The value as the SDK's metagraph shows it: W rows normalised to sum 1 by the core
    /// ([`Metagraph::weight_row`]), B as a proportion of u16::MAX.
    pub fn normalized(&self, row: usize, col: usize) -> Option<f64> {
        let v = self.value(row, col)?;
        Some(match self.layer {
            Layer::Weights => f64::from(*self.normalized.get(row * self.cols + col)?),
            Layer::Bonds => fraction(v),
        })
    }

    /// The largest cell side (pixels) that keeps the canvas within [`MAX_CANVAS_SIDE`].
    pub fn max_cell(&self) -> u32 {
        let longest = self.cols.max(self.rows.len()).max(1) as u32;
        (MAX_CANVAS_SIDE / longest).max(1)
    }

    /// Canvas size in pixels at `cell` pixels per cell.
    pub fn size(&self, cell: u32) -> (u32, u32) {
        (self.cols as u32 * cell, self.rows.len() as u32 * cell)
    }

    /// The (row index, column uid) under canvas pixel (`x`, `y`) at `cell` pixels per cell.
    pub fn cell_at(&self, x: f64, y: f64, cell: u32) -> Option<(usize, usize)> {
        if x < 0.0 || y < 0.0 || cell == 0 {
            return None;
        }
        let col = (x / f64::from(cell)) as usize;
        let row = (y / f64::from(cell)) as usize;
        (row < self.rows.len() && col < self.cols).then_some((row, col))
    }

    /// The canvas pixel at the centre of (row index, column uid).
    pub fn cell_center(&self, row: usize, col: usize, cell: u32) -> (f64, f64) {
        let half = f64::from(cell) / 2.0;
        (
            col as f64 * f64::from(cell) + half,
            row as f64 * f64::from(cell) + half,
        )
    }

    /// The tooltip for (row index, column uid): the exact u16 and the normalised value.
    pub fn tooltip(&self, row: usize, col: usize) -> Option<String> {
        let value = self.value(row, col)?;
        let norm = self.normalized(row, col)?;
        let from = self.rows[row];
        let what = match self.layer {
            Layer::Weights => "normalized (row sums to 1)",
            Layer::Bonds => "as a proportion of 65535",
        };
        Some(format!(
            "{}[{from} → {col}] = {value} (u16) · {norm:.6} {what}",
            self.layer.letter()
        ))
    }

    /// RGBA pixels of the whole grid at `cell` pixels per cell (one ImageData's worth).
    /// Colour follows each cell's normalised value; a zero cell is pale grey, so that an
    /// absent weight never looks like a small one.
    pub fn rgba(&self, cell: u32) -> Vec<u8> {
        let (w, h) = self.size(cell);
        let (w, cell) = (w as usize, cell as usize);
        let mut out = vec![0u8; w * h as usize * 4];
        // The colour of each cell once, then copied over its pixels.
        let mut line = vec![0u8; w * 4];
        for row in 0..self.rows.len() {
            let max = self.row_max(row);
            for col in 0..self.cols {
                let v = self.cells[row * self.cols + col];
                let rgba = color(v, max);
                for px in 0..cell {
                    let at = (col * cell + px) * 4;
                    line[at..at + 4].copy_from_slice(&rgba);
                }
            }
            for y in 0..cell {
                let at = (row * cell + y) * w * 4;
                out[at..at + w * 4].copy_from_slice(&line);
            }
        }
        out
    }

    /// The scale's top for a row: its largest value for W (rows are max-upscaled, so mostly
    /// 65535), u16::MAX for B.
    fn row_max(&self, row: usize) -> u16 {
        match self.layer {
            Layer::Weights => self.cells[row * self.cols..(row + 1) * self.cols]
                .iter()
                .copied()
                .max()
                .unwrap_or(0),
            Layer::Bonds => u16::MAX,
        }
    }
}

/// Pale grey for zero, then light yellow → green → deep blue as `v / max` grows.
pub fn color(v: u16, max: u16) -> [u8; 4] {
    if v == 0 || max == 0 {
        return [238, 240, 243, 255];
    }
    const STOPS: [[f64; 3]; 4] = [
        [255.0, 247.0, 188.0],
        [120.0, 198.0, 121.0],
        [35.0, 139.0, 140.0],
        [8.0, 48.0, 107.0],
    ];
    let t = (f64::from(v) / f64::from(max)).clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let mix = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    [mix(0), mix(1), mix(2), 255]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::metagraph::Neuron;

    fn metagraph() -> Metagraph {
        let mut neurons: Vec<Neuron> = (0..4)
            .map(|uid| Neuron {
                uid,
                ..Neuron::default()
            })
            .collect();
        neurons[0].weights = vec![(2, 65535), (3, 21845), (9, 7)];
        neurons[1].weights = vec![(1, 100)];
        neurons[0].bonds = vec![(2, 32768)];
        Metagraph {
            neurons,
            ..Metagraph::default()
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rows_are_the_uids_that_set_weights_and_values_are_exact() {
        let g = Grid::new(&metagraph(), Layer::Weights);
        assert_eq!(g.rows, [0, 1]);
        assert_eq!(g.cols, 4);
        assert_eq!(g.value(0, 2), Some(65535));
        assert_eq!(g.value(0, 3), Some(21845));
        assert_eq!(g.value(0, 0), Some(0));
        assert_eq!(g.value(2, 0), None);
        assert_eq!(g.value(0, 4), None, "uid 9 ≥ n is ignored");
        assert_eq!(g.normalized(0, 2), Some(0.75));
        assert_eq!(g.normalized(1, 1), Some(1.0));
        // Exactly the core's W, cell by cell.
        let mg = metagraph();
        for (r, &uid) in g.rows.iter().enumerate() {
            let core = mg.weight_row(uid).unwrap();
            for (c, &w) in core.iter().enumerate() {
                assert_eq!(g.normalized(r, c), Some(f64::from(w)));
            }
        }
        let tip = g.tooltip(0, 3).unwrap();
        assert!(
            tip.starts_with("W[0 → 3] = 21845 (u16) · 0.250000"),
            "{tip}"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bonds_layer_and_empty_grid() {
        let g = Grid::new(&metagraph(), Layer::Bonds);
        assert_eq!(g.rows, [0]);
        assert_eq!(g.normalized(0, 2), Some(32768.0 / 65535.0));
        assert!(g.tooltip(0, 2).unwrap().starts_with("B[0 → 2] = 32768"));
        assert!(Grid::new(&Metagraph::default(), Layer::Weights).is_empty());
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pointer_positions_map_to_cells_and_back() {
        let g = Grid::new(&metagraph(), Layer::Weights);
        assert_eq!(g.size(5), (20, 10));
        assert_eq!(g.cell_at(0.0, 0.0, 5), Some((0, 0)));
        assert_eq!(g.cell_at(14.9, 9.9, 5), Some((1, 2)));
        assert_eq!(g.cell_at(20.0, 0.0, 5), None);
        assert_eq!(g.cell_at(-1.0, 0.0, 5), None);
        for (r, c) in [(0, 0), (1, 3), (0, 2)] {
            let (x, y) = g.cell_center(r, c, 7);
            assert_eq!(g.cell_at(x, y, 7), Some((r, c)));
        }
        assert_eq!(g.max_cell(), 2048);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pixels_follow_the_values() {
        let g = Grid::new(&metagraph(), Layer::Weights);
        let px = g.rgba(2);
        assert_eq!(px.len(), 8 * 4 * 4);
        let at = |x: usize, y: usize| &px[(y * 8 + x) * 4..(y * 8 + x) * 4 + 4];
        assert_eq!(at(0, 0), color(0, 1));
        assert_eq!(at(4, 0), color(65535, 65535));
        assert_eq!(
            at(5, 1),
            color(65535, 65535),
            "a cell covers cell × cell pixels"
        );
        assert_eq!(at(6, 0), color(21845, 65535));
        assert_ne!(color(1, 65535), color(0, 65535), "small is not absent");
        assert_eq!(color(65535, 65535), [8, 48, 107, 255]);
    }
}
