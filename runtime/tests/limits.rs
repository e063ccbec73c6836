//! Size limits: a 100 MB answer is refused with a clear error without being buffered.
//!
//! This test binary counts heap allocations (a global allocator wrapper) to prove that the
//! client's peak memory stays near the configured limit, not the body size. It holds a single
//! test so that nothing else allocates concurrently.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::Em;
use emrest_runtime::{Client, Error};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MB: u64 = 1_000_000;
const BODY: u64 = 100 * MB;

/// A server that answers every request with a 100 MB XML body, either chunked (no length
/// announced) or with its `Content-Length`; counts the bytes it managed to write.
async fn huge_server(chunked: bool) -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let w = w.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|x| x == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = if chunked {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n".to_string()
                } else {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {BODY}\r\n\r\n")
                };
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let piece = vec![b'x'; 64 * 1024];
                let mut sent = 0u64;
                while sent < BODY {
                    let n = (BODY - sent).min(piece.len() as u64) as usize;
                    let res = if chunked {
                        let mut c = format!("{n:x}\r\n").into_bytes();
                        c.extend_from_slice(&piece[..n]);
                        c.extend_from_slice(b"\r\n");
                        stream.write_all(&c).await
                    } else {
                        stream.write_all(&piece[..n]).await
                    };
                    if res.is_err() {
                        return;
                    }
                    sent += n as u64;
                    w.store(sent, Ordering::SeqCst);
                }
                if chunked {
                    let _ = stream.write_all(b"0\r\n\r\n").await;
                }
            });
        }
    });
    (port, written)
}

#[tokio::test]
async fn a_100_mb_answer_is_refused_without_buffering_it() {
    let limit: u64 = 4 * 1024 * 1024;

    // 1. Chunked: the size is only known by counting while streaming.
    let (port, written) = huge_server(true).await;
    let client = Client::<Em>::builder(format!("http://127.0.0.1:{port}/api/"))
        .max_body_bytes(limit)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let err = client.entry_point().await.unwrap_err();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    match &err {
        Error::BodyTooLarge {
            limit: l, declared, ..
        } => {
            assert_eq!(*l, limit);
            assert_eq!(*declared, None);
        }
        e => panic!("{e}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("larger than the limit of 4194304 bytes") && text.contains("max_body_bytes"),
        "{text}"
    );
    // The client stopped reading soon after the limit: what the server could push is the
    // limit plus socket buffers, far from 100 MB.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pushed = written.load(Ordering::SeqCst);
    assert!(pushed < 40 * MB, "the server pushed {pushed} bytes");
    // Peak heap of the client during the call: about the limit, not the body.
    assert!(
        (peak as u64) < limit + 2 * 1024 * 1024,
        "peak heap {peak} bytes for a {limit}-byte limit"
    );
    eprintln!("chunked: server pushed {pushed} bytes, client peak heap {peak} bytes");

    // 2. Announced length: refused from the header, before reading the body.
    let (port, written) = huge_server(false).await;
    let client = Client::<Em>::builder(format!("http://127.0.0.1:{port}/api/"))
        .max_body_bytes(limit)
        .build()
        .unwrap();
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let err = client.entry_point().await.unwrap_err();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(
        matches!(err, Error::BodyTooLarge { declared: Some(d), .. } if d == BODY),
        "{err}"
    );
    assert!(
        err.to_string().contains("Content-Length: 100000000"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pushed = written.load(Ordering::SeqCst);
    assert!(pushed < 40 * MB, "the server pushed {pushed} bytes");
    assert!((peak as u64) < 8 * 1024 * 1024, "peak heap {peak} bytes");
    eprintln!("announced: server pushed {pushed} bytes, client peak heap {peak} bytes");

    // 3. The default limit (64 MiB) refuses 100 MB too, and the error is not retried.
    let (port, _) = huge_server(true).await;
    let client = Client::<Em>::builder(format!("http://127.0.0.1:{port}/api/"))
        .build()
        .unwrap();
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let err = client.entry_point().await.unwrap_err();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(
        matches!(err, Error::BodyTooLarge { limit, .. } if limit == emrest_runtime::DEFAULT_MAX_BODY_BYTES),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert!(
        (peak as u64) < emrest_runtime::DEFAULT_MAX_BODY_BYTES + 8 * 1024 * 1024,
        "peak heap {peak} bytes"
    );
    eprintln!("default limit: client peak heap {peak} bytes");
}
