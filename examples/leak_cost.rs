//! The cost of one leak verdict: the median time of `judge` on windows of
//! 3,600 samples (the most a metric keeps) and of 240 (a young window,
//! judged every 250 ms), for a leak, a flat series and a random walk, over
//! many repetitions; and the running verdict of a whole 30-second watch.
//!
//! Usage: cargo run --release --example leak_cost [REPS]

use std::hint::black_box;
use std::time::Instant;

use proctor::analysis::leak::suite::Rng;
use proctor::analysis::leak::{Metric, Running, Window};

fn median_us(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn window(n: usize, f: &mut dyn FnMut(usize) -> f64) -> Window {
    let mut w = Window::new(3600);
    for i in 0..n {
        w.push(i as f64 * 0.25, f(i));
    }
    w
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let mut r = Rng::new(1);
    println!("| window | series | metric | median per verdict | max |");
    println!("|---|---|---|---|---|");
    for n in [3600usize, 240] {
        let mut walk = 500.0;
        let shapes: Vec<(&str, Metric, Window)> = vec![
            (
                "leak 0.5/s + noise",
                Metric::Fds,
                window(n, &mut |i| {
                    40.0 + (i as f64 / 8.0).floor() + r.int(0, 6) as f64
                }),
            ),
            ("flat", Metric::Fds, window(n, &mut |_| 12.0)),
            (
                "random walk",
                Metric::Fds,
                window(n, &mut |_| {
                    walk += if r.unit() < 0.5 { 1.0 } else { -1.0 };
                    walk
                }),
            ),
            (
                "GC sawtooth",
                Metric::Rss,
                window(n, &mut |i| {
                    1e8 + 8e6 * ((i % 12) as f64) + (r.unit() * 65536.0).round()
                }),
            ),
        ];
        for (name, m, w) in &shapes {
            let spec = m.spec();
            let times: Vec<f64> = (0..reps)
                .map(|_| {
                    let t = Instant::now();
                    black_box(w.judge(black_box(&spec)));
                    t.elapsed().as_secs_f64() * 1e6
                })
                .collect();
            let max = times.iter().copied().fold(0.0, f64::max);
            println!(
                "| {n} samples | {name} | {} | {:.0} µs | {:.0} µs |",
                m.name(),
                median_us(times),
                max
            );
        }
    }
    // A whole 30 s watch at 250 ms: every running verdict.
    let spec = Metric::Fds.spec();
    let t = Instant::now();
    let mut w = Window::new(3600);
    let mut run = Running::default();
    for i in 0..120 {
        w.push(
            i as f64 * 0.25,
            40.0 + (i as f64 / 8.0).floor() + r.int(0, 6) as f64,
        );
        black_box(run.update(&w, &spec, false));
    }
    println!(
        "\n120 running verdicts (a 30 s watch at 250 ms, one metric): {:.1} ms in all",
        t.elapsed().as_secs_f64() * 1e3
    );
}
