//! Small line charts of a uid's history, drawn as SVG polylines: the points come from the
//! core ([`bt_core::history::Series::polyline`]); this only writes them as an attribute and
//! labels the chart.

use bt_core::history::Series;

/// The chart's size in SVG units.
pub const WIDTH: f64 = 160.0;
/// The chart's height in SVG units.
pub const HEIGHT: f64 = 32.0;

/// The `points` attribute of the series' polyline in a [`WIDTH`] × [`HEIGHT`] box.
pub fn points(series: &Series) -> String {
    series
        .polyline(WIDTH, HEIGHT)
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The x of epoch block `block` on the chart (a past block shown is marked there), None
/// when the series has no point at it.
pub fn marker_x(series: &Series, block: u64) -> Option<f64> {
    let k = series.points.iter().position(|p| p.block == block)?;
    series.polyline(WIDTH, HEIGHT).get(k).map(|&(x, _)| x)
}

/// A value of the series' metric with its unit and 4 decimals.
fn value(series: &Series, v: f64) -> String {
    let unit = series.metric.unit();
    if unit.is_empty() {
        format!("{v:.4}")
    } else {
        format!("{v:.4} {unit}")
    }
}

/// The chart's caption: the metric, its last value, and its change over the epochs shown.
pub fn caption(series: &Series) -> String {
    match series.points.last() {
        None => format!("{}: no epochs read", series.metric.name()),
        Some(last) => {
            let change = series.change();
            let sign = if change > 0.0 {
                "+"
            } else if change < 0.0 {
                "−"
            } else {
                "±"
            };
            format!(
                "{} {} ({sign}{} over {} epochs)",
                series.metric.name(),
                value(series, last.value),
                value(series, change.abs()),
                series.points.len()
            )
        }
    }
}

/// The tooltip of the whole chart: every epoch block with its stored value.
pub fn title(series: &Series) -> String {
    let mut lines: Vec<String> = series
        .points
        .iter()
        .map(|p| {
            format!(
                "#{}: {} (stored {})",
                p.block,
                value(series, p.value),
                p.stored
            )
        })
        .collect();
    for block in &series.hotkey_changes {
        lines.push(format!("the uid changed hands at #{block}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bt_core::history::{EpochPoint, History, Metric};

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn charts_draw_the_cores_points() {
        let point = |block, stake| EpochPoint {
            block,
            hotkeys: vec![[1; 32]],
            incentive: vec![vec![0]],
            last_update: vec![vec![0]],
            dividends: vec![0],
            emission: vec![0],
            stake: vec![stake],
        };
        let h = History::new(vec![point(10, 1_000_000_000), point(20, 3_000_000_000)]);
        let s = h.series(0, 0, Metric::Stake);
        assert_eq!(points(&s), "0.0,21.3 160.0,0.0");
        assert_eq!(marker_x(&s, 20), Some(160.0));
        assert_eq!(marker_x(&s, 15), None);
        assert_eq!(caption(&s), "stake 3.0000 α (+2.0000 α over 2 epochs)");
        assert!(title(&s).starts_with("#10: 1.0000 α (stored 1000000000)"));
        let empty = h.series(4, 0, Metric::Incentive);
        assert_eq!(caption(&empty), "incentive: no epochs read");
    }
}
