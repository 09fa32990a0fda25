//! The growth chart: a server-rendered SVG (no JavaScript) with one panel per measure,
//! age on the x axis, points joined by a line, each point titled with its value, age,
//! day and source. Accessible (`role="img"`, Swedish `aria-label`, `<title>`, `<desc>`;
//! the summary has the same values as a table) and deterministic: the same growth gives
//! the same bytes. Built from an askama template, so every text is escaped. No
//! reference curves are drawn (no reference data is shipped).

use askama::Template;

use super::growth::{GrowthSeries, GrowthStatus, swedish_decimal};

/// Width of the chart (SVG user units).
const WIDTH: f64 = 720.0;
/// Height of one panel.
const PANEL_HEIGHT: f64 = 230.0;
/// Left margin (y labels).
const LEFT: f64 = 64.0;
/// Right margin.
const RIGHT: f64 = 36.0;
/// Space above the plot (panel title).
const TOP: f64 = 30.0;
/// Space below the plot (x labels and axis title).
const BOTTOM: f64 = 46.0;

/// A tick: its grid line and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Grid line start x.
    pub x1: String,
    /// Grid line start y.
    pub y1: String,
    /// Grid line end x.
    pub x2: String,
    /// Grid line end y.
    pub y2: String,
    /// Label x.
    pub label_x: String,
    /// Label y.
    pub label_y: String,
    /// Label text.
    pub label: String,
}

/// A measurement in the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartPoint {
    /// Centre x.
    pub cx: String,
    /// Centre y.
    pub cy: String,
    /// Tooltip and accessible name: value, age, day, source.
    pub label: String,
}

/// One measure's panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartPanel {
    /// The measure's key (CSS class).
    pub key: String,
    /// Visible title, e.g. `Längd (cm)`.
    pub title: String,
    /// Accessible name of the panel.
    pub aria_label: String,
    /// Title position.
    pub title_x: String,
    /// Title position.
    pub title_y: String,
    /// Plot area.
    pub plot_x: String,
    /// Plot area.
    pub plot_y: String,
    /// Plot area.
    pub plot_width: String,
    /// Plot area.
    pub plot_height: String,
    /// Axis title position.
    pub axis_x: String,
    /// Axis title position.
    pub axis_y: String,
    /// X ticks (age).
    pub x_ticks: Vec<Tick>,
    /// Y ticks (value).
    pub y_ticks: Vec<Tick>,
    /// The `points` of the polyline.
    pub line: String,
    /// The points.
    pub points: Vec<ChartPoint>,
}

/// The chart.
#[derive(Debug, Clone, PartialEq, Eq, Template)]
#[template(path = "bvc/growth_chart.svg", escape = "html")]
pub struct GrowthChart {
    /// Id prefix of the `<title>`/`<desc>` elements (unique in the page).
    pub id: String,
    /// Title.
    pub title: String,
    /// Description of what the chart shows.
    pub desc: String,
    /// Width.
    pub width: String,
    /// Height.
    pub height: String,
    /// One panel per measure with measurements.
    pub panels: Vec<ChartPanel>,
}

/// A coordinate as written in the SVG (one decimal).
fn c(value: f64) -> String {
    format!("{value:.1}")
}

/// A "nice" step (1, 2, 2.5 or 5 × 10ⁿ) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The x axis for ages up to `max_months`: the axis end and its ticks
/// (months as `(value, label)`).
fn age_axis(max_months: f64) -> (f64, Vec<(f64, String)>) {
    let (step, years) = if max_months <= 24.0 {
        (3.0, false)
    } else if max_months <= 72.0 {
        (12.0, true)
    } else {
        (24.0, true)
    };
    let end = ((max_months / step).ceil() * step).max(step * 2.0);
    let count = (end / step).round() as usize;
    let ticks = (0..=count)
        .map(|i| {
            let months = step * i as f64;
            let label = match (i, years) {
                (0, _) => "0".to_owned(),
                (_, false) => format!("{months:.0} mån"),
                (_, true) => format!("{:.0} år", months / 12.0),
            };
            (months, label)
        })
        .collect();
    (end, ticks)
}

/// The y axis for values in `min..=max`: its ends and step.
fn value_axis(min: f64, max: f64) -> (f64, f64, f64) {
    let step = nice_step((max - min) / 4.0);
    let mut low = (min / step).floor() * step;
    let mut high = (max / step).ceil() * step;
    if high - low < step {
        low -= step;
        high += step;
    }
    (low.max(0.0), high, step)
}

/// One panel at vertical offset `top`.
fn panel(series: &GrowthSeries, top: f64) -> ChartPanel {
    let plot_x = LEFT;
    let plot_y = top + TOP;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = PANEL_HEIGHT - TOP - BOTTOM;
    let max_age = series
        .points
        .iter()
        .map(|p| p.age_months)
        .fold(0.0, f64::max);
    let (x_end, x_ticks) = age_axis(max_age);
    let (low, high) = series
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.value), hi.max(p.value))
        });
    let (y_low, y_high, y_step) = value_axis(low, high);
    let x = |months: f64| plot_x + months / x_end * plot_w;
    let y = |value: f64| plot_y + plot_h - (value - y_low) / (y_high - y_low) * plot_h;

    let x_ticks = x_ticks
        .into_iter()
        .map(|(months, label)| Tick {
            x1: c(x(months)),
            y1: c(plot_y),
            x2: c(x(months)),
            y2: c(plot_y + plot_h),
            label_x: c(x(months)),
            label_y: c(plot_y + plot_h + 16.0),
            label,
        })
        .collect();
    let y_count = ((y_high - y_low) / y_step).round() as usize;
    let decimals = if y_step.fract() == 0.0 { 0 } else { 1 };
    let y_ticks = (0..=y_count)
        .map(|i| {
            let value = y_low + y_step * i as f64;
            Tick {
                x1: c(plot_x),
                y1: c(y(value)),
                x2: c(plot_x + plot_w),
                y2: c(y(value)),
                label_x: c(plot_x - 6.0),
                label_y: c(y(value) + 4.0),
                label: swedish_decimal(value, decimals),
            }
        })
        .collect();
    let points: Vec<ChartPoint> = series
        .points
        .iter()
        .map(|p| {
            let unit = p
                .source
                .care_unit
                .as_deref()
                .unwrap_or(&p.source.source_system);
            ChartPoint {
                cx: c(x(p.age_months)),
                cy: c(y(p.value)),
                label: format!(
                    "{}: {} vid {} ({}, {unit})",
                    series.name, p.value_label, p.age, p.date
                ),
            }
        })
        .collect();
    let line = points
        .iter()
        .map(|p| format!("{},{}", p.cx, p.cy))
        .collect::<Vec<_>>()
        .join(" ");
    ChartPanel {
        key: series.key.clone(),
        title: format!("{} ({})", series.name, series.unit),
        aria_label: format!(
            "{} i {} efter ålder, {} mätningar",
            series.name,
            series.unit,
            series.points.len()
        ),
        title_x: c(plot_x),
        title_y: c(top + 20.0),
        plot_x: c(plot_x),
        plot_y: c(plot_y),
        plot_width: c(plot_w),
        plot_height: c(plot_h),
        axis_x: c(plot_x + plot_w / 2.0),
        axis_y: c(plot_y + plot_h + 36.0),
        x_ticks,
        y_ticks,
        line,
        points,
    }
}

impl GrowthChart {
    /// The chart of the measures that have measurements; `None` when none has. `id`
    /// prefixes the element ids (unique within the page).
    pub fn from_growth(growth: &GrowthStatus, id: &str) -> Option<Self> {
        let drawn: Vec<&GrowthSeries> = growth
            .series
            .iter()
            .filter(|s| !s.points.is_empty())
            .collect();
        if drawn.is_empty() {
            return None;
        }
        let panels: Vec<ChartPanel> = drawn
            .iter()
            .enumerate()
            .map(|(i, s)| panel(s, PANEL_HEIGHT * i as f64))
            .collect();
        let parts: Vec<String> = drawn
            .iter()
            .map(|s| {
                let (low, high) = s
                    .points
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                        (lo.min(p.value), hi.max(p.value))
                    });
                format!(
                    "{} {} mätningar, {}–{} {}",
                    s.name.to_lowercase(),
                    s.points.len(),
                    swedish_decimal(low, s.decimals),
                    swedish_decimal(high, s.decimals),
                    s.unit
                )
            })
            .collect();
        Some(GrowthChart {
            id: id.to_owned(),
            title: "Tillväxtkurva: längd, vikt och huvudomfång efter ålder".to_owned(),
            desc: format!(
                "Uppmätta värden efter ålder, ett diagram per mått: {}. Inga referenskurvor. \
                 Samma värden finns i tabellen under diagrammet.",
                parts.join("; ")
            ),
            width: c(WIDTH),
            height: c(PANEL_HEIGHT * panels.len() as f64),
            panels,
        })
    }

    /// The SVG document fragment (an `<svg>` element).
    pub fn render_svg(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bvc::growth;
    use crate::bvc::programme::BvcProgramme;
    use crate::bvc::testdata::{BVC_UNIT, observation, patient, xml_elements, ymd};

    const HOSTILE: &str = "<script>alert(\"x\")</script> & 'Co'";

    fn growth_of(groups: &[npo_contracts::healthcond_basic::ObservationGroupType]) -> GrowthStatus {
        let birth = ymd(2020, 1, 1);
        let programme = BvcProgramme::embedded().expect("programme");
        let mut foreign = 0;
        growth::evaluate(
            groups,
            &programme,
            &patient(birth, false),
            birth,
            ymd(2026, 1, 1),
            &mut foreign,
        )
    }

    fn sample() -> Vec<npo_contracts::healthcond_basic::ObservationGroupType> {
        let p = patient(ymd(2020, 1, 1), false);
        vec![
            observation(
                &p,
                "l1",
                ymd(2020, 1, 10),
                "248334005",
                "50.5",
                "cm",
                BVC_UNIT,
            ),
            observation(
                &p,
                "l2",
                ymd(2020, 4, 2),
                "248334005",
                "61.0",
                "cm",
                BVC_UNIT,
            ),
            observation(
                &p,
                "l3",
                ymd(2021, 1, 5),
                "248334005",
                "75.2",
                "cm",
                HOSTILE,
            ),
            observation(
                &p,
                "w1",
                ymd(2020, 1, 10),
                "27113001",
                "3.61",
                "kg",
                BVC_UNIT,
            ),
            observation(&p, "w2", ymd(2021, 1, 5), "27113001", "9.8", "kg", BVC_UNIT),
        ]
    }

    #[test]
    fn the_svg_is_well_formed_accessible_and_has_every_point() {
        let chart = GrowthChart::from_growth(&growth_of(&sample()), "t").expect("points");
        let svg = chart.render_svg().expect("render");
        let elements = xml_elements(&svg);
        let root = &elements[0];
        assert_eq!(root.name, "svg");
        assert_eq!(root.attributes.get("role").map(String::as_str), Some("img"));
        assert_eq!(
            root.attributes.get("aria-label").map(String::as_str),
            Some("Tillväxtkurva: längd, vikt och huvudomfång efter ålder")
        );
        assert_eq!(
            root.attributes.get("aria-describedby").map(String::as_str),
            Some("t-desc")
        );
        let desc = elements.iter().find(|e| e.name == "desc").expect("desc");
        assert!(
            desc.text.contains("längd 3 mätningar, 50,5–75,2 cm"),
            "{}",
            desc.text
        );
        // Two panels (no head circumference measured), three plus two points.
        let panels: Vec<_> = elements.iter().filter(|e| e.name == "g").collect();
        assert_eq!(panels.len(), 2);
        assert_eq!(
            panels[0].attributes.get("aria-label").map(String::as_str),
            Some("Längd i cm efter ålder, 3 mätningar")
        );
        let circles = elements.iter().filter(|e| e.name == "circle").count();
        assert_eq!(circles, 5);
        let titles: Vec<&str> = elements
            .iter()
            .filter(|e| e.name == "title")
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            titles.contains(&"Längd: 61,0 cm vid 3 mån (2020-04-02, BVC Vårdcentralen Solbacken)"),
            "{titles:?}"
        );
        // The hostile unit name arrives as text, escaped in the markup.
        assert!(
            titles.contains(&format!("Längd: 75,2 cm vid 12 mån (2021-01-05, {HOSTILE})").as_str()),
            "{titles:?}"
        );
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&#60;script&#62;"));
        // Age labels: months up to two years.
        let labels: Vec<&str> = elements
            .iter()
            .filter(|e| e.name == "text")
            .map(|e| e.text.as_str())
            .collect();
        assert!(
            labels.contains(&"12 mån")
                && labels.contains(&"Ålder")
                && labels.contains(&"Längd (cm)"),
            "{labels:?}"
        );
    }

    #[test]
    fn points_sit_where_their_values_are() {
        let chart = GrowthChart::from_growth(&growth_of(&sample()), "t").expect("points");
        let length = &chart.panels[0];
        let y = |p: &ChartPoint| p.cy.parse::<f64>().expect("number");
        let x = |p: &ChartPoint| p.cx.parse::<f64>().expect("number");
        // Older and longer: further right and higher up (smaller y).
        assert!(
            x(&length.points[0]) < x(&length.points[1])
                && x(&length.points[1]) < x(&length.points[2])
        );
        assert!(
            y(&length.points[0]) > y(&length.points[1])
                && y(&length.points[1]) > y(&length.points[2])
        );
        assert_eq!(length.line.split(' ').count(), 3);
    }

    #[test]
    fn the_output_is_deterministic_and_independent_of_record_order() {
        let mut reversed = sample();
        reversed.reverse();
        let a = GrowthChart::from_growth(&growth_of(&sample()), "t")
            .expect("points")
            .render_svg()
            .expect("render");
        let b = GrowthChart::from_growth(&growth_of(&reversed), "t")
            .expect("points")
            .render_svg()
            .expect("render");
        assert_eq!(a, b);
        assert!(GrowthChart::from_growth(&growth_of(&[]), "t").is_none());
    }

    #[test]
    fn older_children_get_year_labels() {
        let (end, ticks) = age_axis(150.0);
        assert_eq!(end, 168.0);
        assert_eq!(ticks[1].1, "2 år");
        let (end, ticks) = age_axis(5.0);
        assert_eq!(end, 6.0);
        assert_eq!(ticks.last().map(|t| t.1.as_str()), Some("6 mån"));
    }
}
