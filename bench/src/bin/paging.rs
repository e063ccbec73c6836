//! Issue #6, item 4: stream N backup job sessions through the query service in pages of
//! 1,000 with the typed client, then print one JSON line with the throughput and this
//! process's peak resident memory (`VmHWM` from /proc/self/status).
//!
//! ```text
//! paging --items 100000 [--page-size 1000] [--read-ahead] [--json] [--url http://127.0.0.1:PORT/api/] [--sim PATH]
//! ```
//!
//! `--read-ahead` streams with `Query::read_ahead` (the next page is asked for while the
//! current one is decoded); `--json` asks for JSON pages instead of XML. The JSON line says
//! which (`"read_ahead":true|false`, `"format":"xml"|"json"`).
//!
//! Without `--url`, em-sim is started as a child process (`PATH --size large --port 0`, default
//! PATH: `em-sim` next to this binary) and its URL read from its first stdout line, so the
//! RSS measured here is the client's alone.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use emrest::{BackupJobSession, Client};
use futures::TryStreamExt;

struct Args {
    items: usize,
    page_size: u32,
    url: Option<String>,
    sim: Option<String>,
    read_ahead: bool,
    json: bool,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        items: 100_000,
        page_size: 1_000,
        url: None,
        sim: None,
        read_ahead: false,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--items" => a.items = value()?.parse().map_err(|_| "--items: a number")?,
            "--page-size" => a.page_size = value()?.parse().map_err(|_| "--page-size: a number")?,
            "--read-ahead" => a.read_ahead = true,
            "--json" => a.json = true,
            "--url" => a.url = Some(value()?),
            "--sim" => a.sim = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim(path: Option<String>) -> (Sim, String) {
    let path = path.unwrap_or_else(|| {
        let me = std::env::current_exe().expect("current exe");
        me.with_file_name("em-sim").to_string_lossy().into_owned()
    });
    let mut child = Command::new(&path)
        .args(["--size", "large", "--port", "0", "--idle-timeout", "86400"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {path}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("em-sim's first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from em-sim: {line:?}"))
        .to_string();
    (Sim(child), url)
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("paging: {e}");
            std::process::exit(2);
        }
    };
    let (_sim, url) = match args.url.clone() {
        Some(u) => (None, u),
        None => {
            let (s, u) = start_sim(args.sim.clone());
            (Some(s), u)
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (before_kib, _) = emrest_bench::vm_hwm_rss_kib();
    let (n, secs, cpu, checksum) = rt.block_on(async {
        let mut builder = Client::builder(&url);
        if args.json {
            builder = builder.format(emrest::runtime::Format::Json);
        }
        let client = builder.build().expect("client");
        let em = client.logon("admin", "admin").await.expect("logon");
        let t = Instant::now();
        let cpu0 = emrest_bench::cpu_secs();
        let mut n = 0usize;
        let mut checksum = 0usize;
        {
            let mut query = em
                .query::<BackupJobSession>()
                .entities()
                .page_size(args.page_size);
            if args.read_ahead {
                query = query.read_ahead();
            }
            let mut stream = std::pin::pin!(query.stream());
            while n < args.items {
                match stream.try_next().await.expect("page") {
                    Some(s) => {
                        // Touch the item like a script would (name and result).
                        checksum += s.name.as_deref().map_or(0, str::len);
                        checksum += usize::from(s.result.is_some());
                        n += 1;
                    }
                    None => break,
                }
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let cpu = emrest_bench::cpu_secs() - cpu0;
        em.logoff().await.ok();
        (n, secs, cpu, checksum)
    });
    let (hwm_kib, rss_kib) = emrest_bench::vm_hwm_rss_kib();
    println!(
        "{{\"items\":{n},\"page_size\":{},\"read_ahead\":{},\"format\":\"{}\",\"secs\":{secs:.4},\"cpu_secs\":{cpu:.2},\"items_per_sec\":{:.1},\"vm_hwm_kib\":{hwm_kib},\"vm_rss_kib\":{rss_kib},\"hwm_at_start_kib\":{before_kib},\"checksum\":{checksum}}}",
        args.page_size,
        args.read_ahead,
        if args.json { "json" } else { "xml" },
        n as f64 / secs
    );
    if n < args.items {
        eprintln!(
            "paging: only {n} items were offered (asked for {})",
            args.items
        );
        std::process::exit(1);
    }
}
