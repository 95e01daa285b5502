//! `render::plot::draw`: the SVG parsed as XML (its series, the polyline's
//! points, the trend and limit labels, hostile labels escaped), the PNG
//! decoded (size, drawn pixels in the plot area), bounds on points and
//! series, and the errors (unknown extension, nothing to plot, unwritable).

use std::path::Path;

use proctor::render::plot::{self, Plot, PlotError, PlotSeries};

use crate::common::TempDir;

const T0: i64 = 1_796_439_600_000; // 2026-12-05 03:00:00 UTC

/// A series rising 1 MiB a minute for `n` minutes, from 100 MiB.
fn rising(label: &str, n: i64) -> PlotSeries {
    let mib = 1024.0 * 1024.0;
    let mut s = PlotSeries::new(
        label.to_string(),
        (0..n)
            .map(|i| (T0 + i * 60_000, (100 + i) as f64 * mib))
            .collect(),
    );
    s.trend = Some((
        (T0, 100.0 * mib),
        (T0 + (n - 1) * 60_000, (100 + n - 1) as f64 * mib),
    ));
    s.limit = Some(512.0 * mib);
    s
}

fn memory_plot(series: Vec<PlotSeries>) -> Plot {
    Plot {
        title: "resident memory".into(),
        y_label: "bytes".into(),
        series,
    }
}

fn svg_text(path: &Path) -> String {
    std::fs::read_to_string(path).expect("svg written")
}

/// Every text element's content.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_string())
        .collect()
}

/// The points of every polyline of a colour (`#D62728`), per polyline.
fn polylines(doc: &roxmltree::Document, stroke: &str) -> Vec<usize> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(stroke))
        .map(|n| {
            n.attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .count()
        })
        .collect()
}

/// The data lines: every polyline of more than 2 points (grid lines have 2).
fn data_lines(doc: &roxmltree::Document) -> Vec<usize> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            n.attribute("points")
                .unwrap_or_default()
                .split_whitespace()
                .count()
        })
        .filter(|&n| n > 2)
        .collect()
}

#[test]
fn svg_has_the_series_trend_and_limit() {
    let dir = TempDir::new("plot-svg");
    let out = dir.path().join("mem.svg");
    plot::draw(&memory_plot(vec![rising("4242 leaky", 120)]), &out).expect("drawn");
    let text = svg_text(&out);
    // Written beside, then renamed: nothing else is left in the directory.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("mem.svg")]);
    let doc = roxmltree::Document::parse(&text).expect("the SVG is XML");
    let t = texts(&doc);
    assert!(t.iter().any(|s| s == "4242 leaky"), "{t:?}");
    // 1 MiB a minute is 60 MiB an hour.
    assert!(t.iter().any(|s| s == "trend +60.0 MiB/h"), "{t:?}");
    assert!(t.iter().any(|s| s == "limit 512 MiB"), "{t:?}");
    assert!(t.iter().any(|s| s == "resident memory"), "{t:?}");
    assert!(t.iter().any(|s| s == "MiB"), "{t:?}");
    assert!(t.iter().any(|s| s == "UTC, 2026-12-05"), "{t:?}");
    // Two hours of minutes: HH:MM labels every 15 minutes.
    for l in ["03:00", "03:15", "04:45"] {
        assert!(t.iter().any(|s| s == l), "{l} in {t:?}");
    }
    // The data line has its 120 points; the limit line is red with 2; the
    // trend is dashed in the series' colour (many short lines).
    assert_eq!(data_lines(&doc), vec![120]);
    let dashes = polylines(&doc, "#1F77B4");
    assert!(
        dashes.iter().filter(|&&n| n == 2).count() > 10,
        "{dashes:?}"
    );
    assert_eq!(
        polylines(&doc, "#D62728"),
        vec![2, 2],
        "the line and its legend mark"
    );
}

#[test]
fn hostile_labels_are_escaped_in_svg() {
    let dir = TempDir::new("plot-hostile");
    let out = dir.path().join("h.svg");
    let bad = plot::label(b"<script>alert(1)</script> & \"q\" 'a' \x1b[2J\x01\x07\xff\xfe");
    let mut title = String::from("</svg><script>x</script>");
    title.push('\u{202e}');
    let p = Plot {
        title,
        y_label: "descriptors\x1b]0;".into(),
        series: vec![PlotSeries::new(
            bad.clone(),
            vec![(T0, 1.0), (T0 + 1000, 2.0)],
        )],
    };
    plot::draw(&p, &out).expect("drawn");
    let text = svg_text(&out);
    assert!(!text.contains("<script"), "raw markup in the SVG");
    assert!(!text.contains('\x1b') && !text.contains('\x01') && !text.contains('\u{202e}'));
    let doc = roxmltree::Document::parse(&text).expect("still XML");
    assert!(doc.descendants().all(|n| !n.has_tag_name("script")));
    let t = texts(&doc);
    assert!(
        t.iter().any(
            |s| s == "<script>alert(1)</script> & \"q\" 'a' \\e[2J\\u{1}\\u{7}\u{fffd}\u{fffd}"
        ),
        "{t:?}"
    );
    assert!(
        t.iter().any(|s| s == "</svg><script>x</script>\\u{202e}"),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "descriptors\\e]0;"), "{t:?}");
    // The same labels in a PNG: characters outside the embedded font are
    // drawn as its missing-glyph box, never a failure.
    let mut p = p;
    p.series[0].label.push_str(" \u{4e2d}\u{1f600}");
    plot::draw(&p, &dir.path().join("h.png")).expect("drawn as PNG");
}

#[test]
fn png_has_the_right_size_and_drawn_pixels() {
    let dir = TempDir::new("plot-png");
    let out = dir.path().join("mem.PNG");
    plot::draw(&memory_plot(vec![rising("leaky", 60)]), &out).expect("drawn");
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&out).expect("png written"),
    ));
    let mut reader = dec.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a frame size")];
    let info = reader.next_frame(&mut buf).expect("decoded");
    assert_eq!((info.width, info.height), (1200, 600));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let px = |x: u32, y: u32| {
        let i = ((y * info.width + x) * 3) as usize;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    // The plot area (inside the axes): some pixels of the series' blue and
    // of the limit's red; the corner is the white background.
    let (mut blue, mut red, mut dark_text) = (0, 0, 0);
    for y in 60..540 {
        for x in 110..1180 {
            match px(x, y) {
                (31, 119, 180) => blue += 1,
                (214, 39, 40) => red += 1,
                _ => {}
            }
        }
    }
    // Text drawn with the embedded font: dark pixels under the x axis.
    for y in 540..600 {
        for x in 100..1200 {
            let (r, g, b) = px(x, y);
            if r < 100 && g < 100 && b < 100 {
                dark_text += 1;
            }
        }
    }
    assert_eq!(px(2, 2), (255, 255, 255));
    assert!(blue > 500, "series pixels: {blue}");
    assert!(red > 500, "limit pixels: {red}");
    assert!(dark_text > 100, "axis text pixels: {dark_text}");
}

#[test]
fn many_points_and_series_are_bounded() {
    let dir = TempDir::new("plot-bounds");
    let out = dir.path().join("many.svg");
    let series: Vec<PlotSeries> = (0..12)
        .map(|k| {
            PlotSeries::new(
                format!("p{k}"),
                (0..50_000)
                    .map(|i| (T0 + i * 1000, ((i * 7 + k) % 1000) as f64))
                    .collect(),
            )
        })
        .collect();
    let p = Plot {
        title: "fds".into(),
        y_label: "descriptors".into(),
        series,
    };
    plot::draw(&p, &out).expect("drawn");
    let text = svg_text(&out);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    let lines = data_lines(&doc);
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert!(
        lines.iter().all(|&n| (1000..=2000).contains(&n)),
        "{lines:?}"
    );
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s == "fds (4 more series not drawn)"),
        "{t:?}"
    );
    assert!(
        t.iter().any(|s| s == "p7") && !t.iter().any(|s| s == "p8"),
        "{t:?}"
    );
}

#[test]
fn a_far_limit_is_named_not_drawn() {
    let dir = TempDir::new("plot-far");
    let out = dir.path().join("far.svg");
    let mut s = PlotSeries::new("fds".into(), vec![(T0, 10.0), (T0 + 60_000, 12.0)]);
    s.limit = Some(1_048_576.0);
    let p = Plot {
        title: "fds".into(),
        y_label: "descriptors".into(),
        series: vec![s],
    };
    plot::draw(&p, &out).expect("drawn");
    let text = svg_text(&out);
    let doc = roxmltree::Document::parse(&text).expect("XML");
    assert!(
        texts(&doc)
            .iter()
            .any(|s| s == "limit 1048576 (above the plot)")
    );
    // Seconds on a one-minute plot; no red line.
    assert!(
        texts(&doc).iter().any(|s| s == "03:00:10"),
        "{:?}",
        texts(&doc)
    );
    assert_eq!(
        polylines(&doc, "#D62728"),
        vec![2],
        "the legend's mark only"
    );
}

#[test]
fn errors_are_one_line_with_a_hint() {
    let dir = TempDir::new("plot-err");
    let good = memory_plot(vec![rising("x", 5)]);
    let e = plot::draw(&good, &dir.path().join("out.jpg")).expect_err("jpg");
    assert!(matches!(e, PlotError::Format { .. }));
    let cli = e.to_cli();
    assert!(
        cli.message.contains("unknown picture format"),
        "{}",
        cli.message
    );
    assert_eq!(
        cli.hint.as_deref(),
        Some("name the file with .svg or .png, e.g. --plot out.svg")
    );
    assert_eq!(cli.code as i32, 2);
    assert!(matches!(
        plot::draw(&good, &dir.path().join("noext")),
        Err(PlotError::Format { .. })
    ));

    for empty in [
        memory_plot(Vec::new()),
        memory_plot(vec![PlotSeries::new("x".into(), Vec::new())]),
        memory_plot(vec![PlotSeries::new("x".into(), vec![(T0, f64::NAN)])]),
    ] {
        let e = plot::draw(&empty, &dir.path().join("e.svg")).expect_err("empty");
        assert!(matches!(e, PlotError::Empty), "{e}");
        assert_eq!(
            e.to_string(),
            "nothing to plot: no recorded value in the window"
        );
    }
    assert!(!dir.path().join("e.svg").exists());

    let e = plot::draw(&good, &dir.path().join("no/such/dir/x.svg")).expect_err("io");
    assert!(matches!(e, PlotError::Io { .. }));
    assert!(
        e.to_cli().message.contains("No such file"),
        "{}",
        e.to_cli().message
    );
    // A path with a control byte is shown escaped.
    let e = plot::draw(&good, &dir.path().join("a\x1bb.gif")).expect_err("fmt");
    assert!(
        e.to_cli().message.contains("a\\eb.gif"),
        "{}",
        e.to_cli().message
    );
}

#[test]
fn one_point_draws() {
    let dir = TempDir::new("plot-one");
    let out = dir.path().join("one.png");
    let p = memory_plot(vec![PlotSeries::new("x".into(), vec![(T0, 0.0)])]);
    plot::draw(&p, &out).expect("drawn");
    assert!(std::fs::metadata(&out).expect("written").len() > 1000);
}
