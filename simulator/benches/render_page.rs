//! em-sim's own cost of one 1,000-item `QueryResult` page (issue 11: at most 5 ms), in
//! process: dispatch (query, filter, paging, spec shaping) and rendering, no HTTP. Prints the
//! median and minimum over rounds, per format, and the mean time the thread was on a CPU
//! (`/proc/thread-self/schedstat` over all rounds: the figure a loaded machine inflates
//! least; the kernel updates it too coarsely to read per round).
//!
//! `cargo bench -p emrest-sim --bench render_page` (release build).

use std::hint::black_box;
use std::time::Instant;

use emrest_sim::inproc::InProcess;
use emrest_sim::{Casing, Size};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 10 } else { 50 };
    let mut sim = InProcess::new(Size::Default).expect("em-sim state");
    let url = "/query?type=BackupJobSession&format=Entities&pageSize=1000&page=2";
    for (name, json) in [
        ("xml", None),
        ("json-pascal", Some(Casing::Pascal)),
        ("json-camel", Some(Casing::Camel)),
    ] {
        let (status, body) = sim.get(url, json);
        assert_eq!(status, 200, "{body}");
        let items = body
            .matches("<BackupJobSession ")
            .count()
            .max(body.matches("\"JobName\"").count())
            .max(body.matches("\"jobName\"").count());
        let mut times = Vec::with_capacity(rounds);
        let cpu0 = on_cpu_ns();
        for _ in 0..rounds {
            let t = Instant::now();
            black_box(sim.get(black_box(url), json));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let cpu = match (cpu0, on_cpu_ns()) {
            (Some(a), Some(b)) => format!(
                ", on CPU mean {:.2} ms",
                b.saturating_sub(a) as f64 / 1e6 / rounds as f64
            ),
            _ => String::new(),
        };
        times.sort_by(f64::total_cmp);
        println!(
            "render_page/{name}: {items} items, {} KiB, median {:.2} ms, min {:.2} ms{cpu} ({rounds} rounds)",
            body.len() / 1024,
            times[rounds / 2],
            times[0]
        );
    }
}

/// Nanoseconds this thread has run on a CPU, from `/proc/thread-self/schedstat` (Linux);
/// `None` elsewhere.
fn on_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
