//! The chunk of text each thread writes the strings it decodes into, so that a document's
//! strings cost one allocation per few kilobytes of text, not one each (see
//! [`SharedStr::decoded`]).

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::ops::Range;
use std::ptr::NonNull;

use super::{alloc_buffer, release, text_of, Header, SharedStr, BUILDING};

/// Bytes of text a chunk holds: with its header, one 4 KiB allocation.
const CHUNK_TEXT: usize = 4096 - std::mem::size_of::<Header>();

/// A decoded string longer than this gets a buffer of its own, so that a chunk is never
/// left mostly empty for one long text.
pub(super) const LARGEST: usize = 512;

/// Strings a chunk hands out before a fresh one replaces it, whatever room is left: keeps
/// the reserve of references (`BUILDING`) far from running out when one short string
/// repeats without end.
const MOST_TAKEN: usize = BUILDING / 2;

/// The chunk being written: its bytes below `used` hold whole strings, handed out as
/// slices, and are never written again; the bytes past it are not read.
struct Chunk {
    /// The buffer, holding `BUILDING` references while it is written: a reserve the
    /// strings handed out take from, settled once; `None` before the thread's first decoded
    /// string, or once closed.
    buf: Option<NonNull<Header>>,
    /// Bytes written.
    used: u32,
    /// Strings handed out, each holding one of the reserve.
    taken: usize,
    /// The ranges of the last two strings written, the newest first.
    recent: [(u32, u32); 2],
}

thread_local! {
    static CHUNK: RefCell<Chunk> = const {
        RefCell::new(Chunk { buf: None, used: 0, taken: 0, recent: [(0, 0); 2] })
    };
}

impl SharedStr {
    /// A string read from a document: written into the thread's chunk of text, shared with
    /// the other strings decoded on the thread, unless it is empty (no buffer), longer than
    /// [`LARGEST`], or the thread is ending (a buffer of its own). A string equal to the
    /// start of one of the two written before it is a slice of that one.
    ///
    /// One string kept alive keeps its whole chunk (4 KiB) alive: the price of one
    /// allocation for many strings. A thread keeps the chunk it is writing until it is full
    /// or the thread ends, so small documents decoded one after another share it too.
    pub(crate) fn decoded(text: &str) -> SharedStr {
        if text.is_empty() {
            return SharedStr::default();
        }
        if text.len() > LARGEST {
            return SharedStr::own(text);
        }
        CHUNK
            .try_with(|c| c.try_borrow_mut().ok().map(|mut c| c.push(text)))
            .ok()
            .flatten()
            .unwrap_or_else(|| SharedStr::own(text))
    }
}

/// Closes the thread's chunk of decoded text: the next string decoded on this thread starts
/// a fresh one (tests use it to count allocations from a known state).
pub fn close_text_chunk() {
    let _ = CHUNK.try_with(|c| c.try_borrow_mut().map(|mut c| c.settle()));
}

impl Chunk {
    /// `s` (not empty, at most [`LARGEST`] bytes) as a slice of this chunk, written into it
    /// unless one of the recent strings starts with it; a full chunk is replaced first.
    fn push(&mut self, s: &str) -> SharedStr {
        let buf = match self.buf {
            Some(buf) if self.taken < MOST_TAKEN => {
                // SAFETY: the bytes below `used` are written and stay as they are.
                let written =
                    unsafe { std::slice::from_raw_parts(text_of(buf), self.used as usize) };
                if let Some(r) = find_recent(written, &self.recent, s.as_bytes()) {
                    return self.take(buf, r);
                }
                if CHUNK_TEXT - self.used as usize >= s.len() {
                    buf
                } else {
                    self.renew()
                }
            }
            _ => self.renew(),
        };
        let start = self.used;
        // SAFETY: `start + s.len() <= CHUNK_TEXT` (checked above, or a fresh chunk and
        // `s.len() <= LARGEST`); these bytes have not been handed out to any string.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), text_of(buf).add(start as usize), s.len())
        };
        // Below `CHUNK_TEXT`, so it fits.
        self.used += s.len() as u32;
        self.recent = [(start, self.used), self.recent[0]];
        self.take(buf, start..self.used)
    }

    /// A string that is the range `r` of the chunk, holding one reference of the reserve.
    fn take(&mut self, buf: NonNull<Header>, r: Range<u32>) -> SharedStr {
        self.taken += 1;
        SharedStr {
            ptr: Some(buf.cast()),
            start: r.start,
            // `r.end <= CHUNK_TEXT`: never saturates into `WHOLE`.
            end1: NonZeroU32::MIN.saturating_add(r.end),
        }
    }

    /// Settles the chunk being written and starts a fresh one.
    fn renew(&mut self) -> NonNull<Header> {
        self.settle();
        let buf = alloc_buffer(CHUNK_TEXT, BUILDING);
        *self = Chunk {
            buf: Some(buf),
            used: 0,
            taken: 0,
            recent: [(0, 0); 2],
        };
        buf
    }

    /// Gives back the part of the reserve no string took: the chunk is freed now if every
    /// string of it is gone, else with the last of them.
    fn settle(&mut self) {
        if let Some(buf) = self.buf.take() {
            // SAFETY: the `BUILDING - taken` references given back are held by no string.
            unsafe { release(buf, BUILDING - self.taken) }
        }
    }
}

/// Where `b` (not empty) already lies in `text` as the start of one of the `recent` ranges
/// of it, if it does.
#[inline]
fn find_recent(text: &[u8], recent: &[(u32, u32); 2], b: &[u8]) -> Option<Range<u32>> {
    let &last = b.last()?;
    for &(start, end) in recent {
        let (from, to) = (start as usize, start as usize + b.len());
        // The last byte first: strings that share a long prefix mostly differ at the end.
        // An equal run of bytes that is a whole `str` ends on a char boundary.
        if to <= end as usize && text[to - 1] == last && &text[from..to] == b {
            // `to <= end`, which fits in a `u32`.
            return Some(start..to as u32);
        }
    }
    None
}

impl Drop for Chunk {
    /// A thread that ends gives its chunk back.
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    /// The references the buffer of `s` counts.
    fn count(s: &SharedStr) -> usize {
        // SAFETY: `s` holds a reference, so the header is live.
        s.buffer()
            .map_or(0, |h| unsafe { h.as_ref() }.count.load(Ordering::Relaxed))
    }

    /// Whether two strings are slices of one buffer.
    fn same_buffer(a: &SharedStr, b: &SharedStr) -> bool {
        a.buffer().is_some() && a.buffer() == b.buffer()
    }

    #[test]
    fn decoded_strings_share_a_chunk_and_read_back() {
        close_text_chunk();
        let a = SharedStr::decoded("http://h/api/jobs/1");
        let b = SharedStr::decoded("Nightly ✓");
        let empty = SharedStr::decoded("");
        assert_eq!(
            (a.as_str(), b.as_str(), empty.as_str()),
            ("http://h/api/jobs/1", "Nightly ✓", "")
        );
        assert!(same_buffer(&a, &b), "one chunk for both");
        assert!(empty.ptr.is_none(), "the empty string owns nothing");
        assert_eq!(format!("{b:?}"), "\"Nightly ✓\"");
        close_text_chunk();
        assert_eq!(count(&a), 2, "settled: one reference for each string");
        let c = SharedStr::decoded("x");
        assert!(!same_buffer(&a, &c), "a closed chunk takes no more strings");
        let long = "L".repeat(LARGEST + 1);
        let own = SharedStr::decoded(&long);
        assert_eq!(
            (own.as_str(), count(&own)),
            (long.as_str(), 1),
            "a long text: its own buffer"
        );
        assert!(!same_buffer(&own, &c));
        assert_eq!(SharedStr::decoded(&long[..LARGEST]).len(), LARGEST);
    }

    #[test]
    fn a_string_at_the_start_of_a_recent_one_is_not_written_again() {
        close_text_chunk();
        let job = SharedStr::decoded("http://h/api/jobs/7?action=start");
        let name = SharedStr::decoded("Nightly ✓");
        let prefix = SharedStr::decoded("http://h/api/jobs/7");
        assert_eq!(
            prefix.as_ptr(),
            job.as_ptr(),
            "a prefix of the one before last"
        );
        assert_eq!(
            SharedStr::decoded("Nightly ✓").as_ptr(),
            name.as_ptr(),
            "the same"
        );
        assert_eq!(SharedStr::decoded("Nightly").as_ptr(), name.as_ptr());
        // The same length and last byte as a prefix of a recent one, but not its text.
        let other = SharedStr::decoded("http://h/api/jobX/7");
        assert_eq!(other.as_str(), "http://h/api/jobX/7");
        let stop = SharedStr::decoded("http://h/api/jobs/7?action=stop");
        assert_ne!(stop.as_ptr(), job.as_ptr(), "not a prefix: written");
        let x = SharedStr::decoded("x");
        // Only the last two are looked at: `job` is no longer among them.
        let again = SharedStr::decoded("http://h/api/jobs/7?action=start");
        assert_ne!(again.as_ptr(), job.as_ptr());
        assert_eq!(
            (again.as_str(), prefix.as_str()),
            (job.as_str(), "http://h/api/jobs/7")
        );
        let chunk = CHUNK.with(|c| c.borrow().used) as usize;
        let written = [&job, &name, &other, &stop, &x, &again]
            .iter()
            .map(|s| s.len())
            .sum::<usize>();
        assert_eq!(chunk, written, "nothing written twice");
    }

    #[test]
    fn a_full_chunk_is_replaced_and_each_keeps_its_own_count() {
        close_text_chunk();
        // 20-byte words, all different: a chunk (4,080 bytes) holds exactly 204 of them.
        let words: Vec<String> = (0..500).map(|i| format!("urn:veeam:Job:{i:06}")).collect();
        assert!(words.iter().all(|w| w.len() == 20));
        let strings: Vec<SharedStr> = words.iter().map(|w| SharedStr::decoded(w)).collect();
        assert_eq!(strings, words);
        let per_chunk: Vec<usize> = strings
            .chunk_by(same_buffer)
            .map(<[SharedStr]>::len)
            .collect();
        assert_eq!(
            per_chunk,
            [204, 204, 92],
            "filled to the last byte, then replaced"
        );
        close_text_chunk();
        let first = per_chunk[0];
        assert_eq!(
            count(&strings[0]),
            first,
            "the references of live strings, exactly"
        );
        let kept = strings[0].clone();
        drop(strings);
        assert_eq!((kept.as_str(), count(&kept)), (words[0].as_str(), 1));
    }

    #[test]
    fn a_thread_that_ends_gives_its_chunk_back() {
        let strings = std::thread::spawn(|| ["a", "bb", "ccc"].map(SharedStr::decoded))
            .join()
            .expect("no panic");
        assert_eq!(strings, ["a", "bb", "ccc"]);
        assert_eq!(count(&strings[0]), 3, "the thread's reserve was given back");
        let [a, b, c] = strings;
        drop((b, c));
        assert_eq!((a.as_str(), count(&a)), ("a", 1));
    }

    proptest::proptest! {
        /// Whatever is decoded (repeats, prefixes, multibyte text, empty strings, enough to
        /// fill chunks), every string reads back as given, clones outlive the originals on
        /// another thread, and each chunk counts exactly its live strings once settled.
        #[test]
        fn shared_strings_read_back_what_was_pushed(
            words in proptest::collection::vec("(ab|é|✓|/api/jobs/1|\\?action=start|x){0,6}", 0..24),
            keep in proptest::collection::vec(proptest::bool::ANY, 24),
            filler in 0usize..CHUNK_TEXT,
        ) {
            close_text_chunk();
            let _filler = SharedStr::decoded(&"f".repeat(filler.min(LARGEST)));
            let strings: Vec<SharedStr> = words.iter().map(|w| SharedStr::decoded(w)).collect();
            for (s, w) in strings.iter().zip(&words) {
                proptest::prop_assert_eq!(s.as_str(), w.as_str());
            }
            drop(_filler);
            close_text_chunk();
            for s in strings.iter().filter(|s| s.buffer().is_some()) {
                let live = strings.iter().filter(|t| same_buffer(s, t)).count();
                proptest::prop_assert_eq!(count(s), live);
            }
            let clones: Vec<SharedStr> = strings
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(s, _)| s.clone())
                .collect();
            let expected: Vec<String> = clones.iter().map(|s| s.to_string()).collect();
            drop(strings);
            let back = std::thread::spawn(move || {
                clones.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            });
            proptest::prop_assert_eq!(back.join().expect("no panic"), expected);
        }
    }
}
