//! The retry policy: which failed attempts are tried again, and after how long.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::Error;
use crate::op::Verb;
use crate::response::RawResponse;

/// How requests are retried.
///
/// The policy is fixed by what a retry could do to the server:
///
/// - **Reads** (`GET`) are retried after a broken connection, a timeout, or a
///   429/500/502/503/504 answer (EM's 500s are often transient; a read is safe to repeat;
///   a `Retry-After: SECONDS` on the answer is heeded, up to a minute), with exponential backoff and jitter, at most [`Self::max_attempts`] attempts in
///   all and never past the call's deadline ([`crate::ClientBuilder::call_timeout`]).
/// - **Actions** (`POST`, `PUT`, `DELETE`) are sent again only when they provably never left
///   the client: the connection could not be opened (refused, unreachable, DNS, connect
///   timeout), so no byte of the request was written. A connection that breaks after the
///   request went out, a timeout while waiting for the answer, or any 5xx may mean the server
///   acted, so the error is returned and nothing is re-sent: repeating a `Start` or a
///   `Delete` is worse than reporting a failure.
/// - **401** is not handled here but by the session: it logs on again once (shared by every
///   concurrent caller) and sends the request once more. That is safe for actions too: a 401
///   means the server refused the request before executing it.
/// - TLS failures and answers larger than [`crate::ClientBuilder::max_body_bytes`] are never
///   retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts of one request, the first included (default 3); `1` turns retries off.
    pub max_attempts: u32,
    /// Nominal delay before the first retry (default 200 ms). It doubles for each further
    /// retry; the actual delay is drawn between half of it and all of it (jitter), so
    /// clients that failed together do not come back together.
    pub initial_backoff: Duration,
    /// Longest nominal delay between attempts (default 5 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (not even of requests that were never sent).
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// True when an answer to `verb` with `status` is worth another attempt.
    pub(crate) fn retries_answer(verb: Verb, status: u16) -> bool {
        verb == Verb::Get && matches!(status, 429 | 500 | 502..=504)
    }

    /// True when an attempt of `verb` that failed with `error` is worth another one;
    /// `not_sent` says that the request provably never left the client.
    pub(crate) fn retries_failure(verb: Verb, error: &Error, not_sent: bool) -> bool {
        match error {
            Error::Transport { .. } | Error::Timeout { .. } => not_sent || verb == Verb::Get,
            _ => false,
        }
    }

    /// The most attempts of one request (at least one).
    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The delay before retry number `retry` (1 for the first retry), jitter included, after
    /// `answer` when the last attempt got one: a `Retry-After` it carries is heeded, up to a
    /// minute.
    pub(crate) fn delay(&self, retry: u32, answer: Option<&RawResponse>) -> Duration {
        let delay = self.backoff(retry);
        match answer.and_then(retry_after) {
            Some(after) => delay.max(after.min(MAX_RETRY_AFTER)),
            None => delay,
        }
    }

    /// The delay before retry number `retry` (1 for the first retry), jitter included.
    fn backoff(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(20);
        let nominal = self
            .initial_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff);
        let half = nominal / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// The longest `Retry-After` a read waits for before trying again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The delay a `Retry-After` header asks for, in its delay-seconds form (the HTTP-date form
/// is not used by the servers this client talks to, and is ignored).
fn retry_after(resp: &RawResponse) -> Option<Duration> {
    let v = resp.header("retry-after")?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// A number in `[0, 1)` from the standard library's randomly keyed hasher (no RNG crate).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}
