//! `proctor report`'s other outputs, through the binary, on the synthetic
//! history of `report` (an api leaking descriptors, a worker leaking
//! memory until its OOM kill): `--plot` draws the leaking series with its
//! trend and limit (SVG parsed, PNG decoded), `--metric` the top consumers,
//! a steady history has nothing to plot by default; `--format csv` parses
//! back to the recorded values; `--format openmetrics` is backfilled by the
//! real promtool; a wrong picture name is one line, a hint and exit 2.

use std::path::Path;
use std::process::Command;

use crate::common::{TempDir, proctor, stderr};

fn report(file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["report", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    proctor(&args)
}

fn svg_text(path: &Path) -> (String, Vec<String>) {
    let raw = std::fs::read_to_string(path).expect("the SVG");
    let doc = roxmltree::Document::parse(&raw).expect("the SVG is XML");
    let texts = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect();
    (raw, texts)
}

#[test]
fn plot_draws_the_leaks_with_their_trend_and_limit_or_the_metric_asked() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("report-plot");
    let file = dir.path().join("history.db");
    crate::report::build(&file, true, 0);

    let svg = dir.path().join("leaks.svg");
    let o = report(&file, &["--plot", svg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("plotted "), "{}", stderr(&o));
    let (_, texts) = svg_text(&svg);
    let all = texts.join("\n");
    // The worst leak (the worker's memory, at its limit when it was
    // killed): its metric, process, trend and the cgroup's limit.
    assert!(all.contains("resident memory"), "{all}");
    assert!(all.contains("300 worker"), "{all}");
    assert!(all.contains("trend +720 MiB/h"), "{all}");
    assert!(all.contains("limit 320 MiB"), "{all}");
    assert!(!all.contains("100 api"), "only the memory leaks: {all}");

    // One process's descriptors: its trend (6/min) and its soft limit.
    let fds = dir.path().join("fds.svg");
    let o = report(
        &file,
        &[
            "--plot",
            fds.to_str().unwrap(),
            "--metric",
            "fds",
            "--pid",
            "100",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let (_, texts) = svg_text(&fds);
    let all = texts.join("\n");
    assert!(all.contains("open descriptors"), "{all}");
    assert!(all.contains("100 api"), "{all}");
    assert!(all.contains("trend +360/h"), "{all}");
    assert!(all.contains("limit 1024"), "{all}");

    let png = dir.path().join("rss.png");
    let o = report(&file, &["--plot", png.to_str().unwrap(), "--metric", "rss"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png).expect("the PNG"),
    ));
    let reader = decoder.read_info().expect("a PNG");
    let info = reader.info();
    assert_eq!((info.width, info.height), (1200, 600));

    let bad = dir.path().join("plot.txt");
    let o = report(&file, &["--plot", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("error: cannot plot to "), "{err}");
    assert!(
        err.contains("hint: name the file with .svg or .png"),
        "{err}"
    );
    assert!(!bad.exists());

    // Nothing leaks in the steady history: nothing to plot by default.
    let steady = dir.path().join("steady.db");
    crate::report::build(&steady, false, 0);
    let out = dir.path().join("none.svg");
    let o = report(&steady, &["--plot", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing to plot"), "{}", stderr(&o));
    assert!(stderr(&o).contains("hint: choose a series: --metric rss"));
}

#[test]
fn csv_and_openmetrics_exports_hold_the_recorded_values() {
    let _timing = crate::common::heavy();
    let dir = TempDir::new("report-export");
    let file = dir.path().join("history.db");
    crate::report::build(&file, true, 0);

    let o = report(&file, &["--format", "csv", "--pid", "100"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut rd = csv::Reader::from_reader(&o.stdout[..]);
    let head = rd.headers().expect("a header").clone();
    let col = |name: &str| head.iter().position(|h| h == name).expect(name);
    let (fds, comm) = (col("fds"), col("comm"));
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("a row")).collect();
    // The api lived through all 180 scans, its descriptors 50 + scan.
    assert_eq!(rows.len(), 180);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(&r[comm], "api");
        assert_eq!(r[fds].parse::<u64>().unwrap(), 50 + i as u64, "row {i}");
    }

    let o = report(&file, &["--format", "openmetrics"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).expect("UTF-8");
    assert!(text.ends_with("# EOF\n"));
    let api_fds: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("proctor_process_open_fds{") && l.contains("comm=\"api\""))
        .collect();
    assert_eq!(api_fds.len(), 180);
    assert!(api_fds[179].contains("} 229 "), "{}", api_fds[179]);
    let Some(promtool) = crate::common::which("promtool") else {
        crate::common::require("promtool (Debian package prometheus)", false);
        return;
    };
    let om = dir.path().join("history.om");
    std::fs::write(&om, &text).unwrap();
    let blocks = dir.path().join("blocks");
    let st = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&blocks)
        .output()
        .expect("promtool runs");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let made = std::fs::read_dir(&blocks)
        .expect("the blocks directory")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("meta.json").is_file())
        .count();
    assert!(made >= 1, "no block written");
}
