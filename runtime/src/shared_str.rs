//! [`SharedStr`]: an immutable string that may be a slice of a buffer other strings share,
//! or borrow a `'static` text.

use std::alloc::{self, Layout};
use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::ops::{Deref, Range};
use std::ptr::NonNull;
use std::sync::atomic::{self, AtomicUsize, Ordering};

/// An immutable string, read as a `str`: its own buffer, a slice of one that several
/// strings share, or a `'static` text borrowed. The links of an XML wrapper (`<Links>`),
/// decoded, keep all their targets and names in one such buffer, so that a representation's
/// links cost one allocation for their text, not one or two per link; their relations and
/// types borrow the spec's table of names. Cloning it never copies the text; comparing,
/// hashing and ordering are those of the `str`. It is two words. Build one with `From`
/// (`"…".into()`, which copies) and read it as a `&str` (`&*s`, [`SharedStr::as_str`]) or
/// turn it into a `String`.
pub struct SharedStr {
    /// `None`: the empty string, or a slice of a [`SharedText`] not yet shared (see
    /// [`SharedStr::pending`]). Otherwise, when `start` has the [`STATIC`] bit, the first
    /// byte of a `'static` text of `end1 - 1` bytes; else a counted buffer's [`Header`].
    ptr: Option<NonNull<u8>>,
    /// Where the slice starts in the buffer (below [`STATIC`]), or [`STATIC`].
    start: u32,
    /// One past the end of the slice, or [`WHOLE`]: the string is all of its buffer.
    end1: NonZeroU32,
}

// SAFETY: the text behind `ptr` is never written once the string has it (a `'static` text,
// or a buffer written before it is shared), and a buffer's count is atomic, as in `Arc<str>`.
unsafe impl Send for SharedStr {}
// SAFETY: as above.
unsafe impl Sync for SharedStr {}

/// [`SharedStr::end1`] of a string that is its whole buffer (of any length).
const WHOLE: NonZeroU32 = NonZeroU32::MAX;

/// [`SharedStr::start`] of a borrowed `'static` text. Slices of a shared buffer start below
/// it ([`SharedText`] stops at 2 GiB).
const STATIC: u32 = 1 << 31;

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        let Some(ptr) = self.ptr else {
            return "";
        };
        if self.start == STATIC {
            // SAFETY: `from_static` took `end1 - 1` bytes of a `&'static str` there.
            return unsafe { static_str(ptr, self.end1.get() as usize - 1) };
        }
        // SAFETY: `ptr` is a live buffer's header: this string holds one of its references.
        let whole = unsafe { buffer_str(ptr.cast()) };
        if self.end1 == WHOLE {
            whole
        } else {
            // Invariant: the slice lies on char boundaries inside the buffer: it is a range
            // `SharedText::push` returned for the text the buffer was made of.
            &whole[self.start as usize..self.end1.get() as usize - 1]
        }
    }

    /// A string borrowing `text` (no allocation; a text of 4 GiB or more is copied).
    pub fn from_static(text: &'static str) -> Self {
        match u32::try_from(text.len()) {
            Ok(0) => SharedStr::default(),
            Ok(n) if n < u32::MAX - 1 => SharedStr {
                ptr: NonNull::new(text.as_ptr().cast_mut()),
                start: STATIC,
                // `n + 1` is neither 0 nor `WHOLE`.
                end1: NonZeroU32::new(n + 1).unwrap_or(WHOLE),
            },
            _ => SharedStr::own(text),
        }
    }

    /// Whether the string borrows a `'static` text ([`SharedStr::from_static`]; a link's
    /// relation or type found in the spec's table of names): it holds no buffer.
    pub fn is_static(&self) -> bool {
        self.ptr.is_some() && self.start == STATIC
    }

    /// A string with its own buffer (`text` copied; none when it is empty).
    fn own(text: &str) -> Self {
        SharedStr {
            ptr: (!text.is_empty()).then(|| new_buffer(text, 1).cast()),
            start: 0,
            end1: WHOLE,
        }
    }

    /// A string that is the range `r` of a [`SharedText`] still being written; it reads as
    /// empty until [`SharedText::share_into`] gives it its buffer. An empty range is the
    /// empty string.
    pub(crate) fn pending(r: Range<u32>) -> Self {
        SharedStr {
            ptr: None,
            start: r.start,
            // `SharedText::push` keeps ends below `STATIC`.
            end1: NonZeroU32::new(r.end + 1).unwrap_or(WHOLE),
        }
    }

    /// Whether this is a non-empty slice still waiting for its buffer.
    fn is_pending(&self) -> bool {
        self.ptr.is_none() && self.end1 != WHOLE && self.end1.get() - 1 > self.start
    }

    /// The counted buffer this string holds a reference to, if any.
    fn buffer(&self) -> Option<NonNull<Header>> {
        self.ptr.filter(|_| self.start != STATIC).map(NonNull::cast)
    }
}

impl Clone for SharedStr {
    fn clone(&self) -> Self {
        if let Some(h) = self.buffer() {
            // SAFETY: `self` holds a reference, so the buffer is live.
            unsafe { retain(h) };
        }
        SharedStr {
            ptr: self.ptr,
            start: self.start,
            end1: self.end1,
        }
    }
}

impl Drop for SharedStr {
    fn drop(&mut self) {
        if let Some(h) = self.buffer() {
            // SAFETY: `self` is one reference, never used again.
            unsafe { release(h, 1) }
        }
    }
}

/// Several strings written into one buffer and handed out as [`SharedStr`] slices of it.
/// A string equal to the start of one of the last two written (a link's `Alternate` target
/// after its `Edit` one, a name repeated) is not written again: it is a slice of that one.
#[derive(Debug, Default)]
pub(crate) struct SharedText {
    text: String,
    /// The ranges of the last two strings written, the newest first (empty when none).
    recent: [(u32, u32); 2],
}

impl SharedText {
    /// Appends `s` (unless it is already there, see [`SharedText`]) and returns where it
    /// lies, or `None` when the buffer would pass 2 GiB (the caller then keeps `s` in a
    /// string of its own).
    #[inline]
    pub(crate) fn push(&mut self, s: &str) -> Option<Range<u32>> {
        let b = s.as_bytes();
        let Some(&last) = b.last() else {
            return Some(0..0);
        };
        let text = self.text.as_bytes();
        for &(start, end) in &self.recent {
            let (from, to) = (start as usize, start as usize + b.len());
            // The last byte first: strings that share a long prefix mostly differ at the end.
            // An equal run of bytes that is a whole `str` ends on a char boundary.
            if to <= end as usize && text[to - 1] == last && &text[from..to] == b {
                // `to <= end`, which fits in a `u32`.
                return Some(start..to as u32);
            }
        }
        let start = u32::try_from(self.text.len()).ok()?;
        let end = u32::try_from(self.text.len() + s.len())
            .ok()
            .filter(|&e| e < STATIC)?;
        self.text.push_str(s);
        self.recent = [(start, end), self.recent[0]];
        Some(start..end)
    }

    /// Copies the text so far into one shared buffer, to be given with [`Sharing::give`]
    /// to the pending strings made of it. The builder is emptied, its capacity kept.
    ///
    /// The buffer's count is settled once, when the [`Sharing`] drops, for all the strings
    /// that took it: one atomic operation instead of one increment per string.
    pub(crate) fn share(&mut self) -> Sharing {
        let buf = (!self.text.is_empty()).then(|| new_buffer(&self.text, BUILDING));
        self.text.clear();
        self.recent = Default::default();
        Sharing { buf, taken: 0 }
    }

    /// [`SharedText::share`], the buffer given to every string of `strings` that is a
    /// non-empty pending slice of it.
    #[cfg(test)]
    pub(crate) fn share_into<'s>(&mut self, strings: impl IntoIterator<Item = &'s mut SharedStr>) {
        let mut sharing = self.share();
        for s in strings {
            sharing.give(s);
        }
    }

    /// Capacity kept between uses (bounded by the caller).
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
    }
}

/// A [`SharedText`]'s buffer being given to the strings made of it.
pub(crate) struct Sharing {
    /// The buffer, holding `BUILDING` references: a reserve for the strings that take it.
    buf: Option<NonNull<Header>>,
    /// How many strings took one of the reserve.
    taken: usize,
}

impl Sharing {
    /// Gives `s`, when it is a non-empty [`SharedStr::pending`] slice of this buffer's text,
    /// the buffer; any other string is left as it is.
    #[inline]
    pub(crate) fn give(&mut self, s: &mut SharedStr) {
        if let (true, Some(buf)) = (s.is_pending(), self.buf) {
            debug_assert!({
                // SAFETY: the buffer holds its reserve of references here.
                let t = unsafe { buffer_str(buf) };
                t.len() >= s.end1.get() as usize - 1
                    && t.is_char_boundary(s.start as usize)
                    && t.is_char_boundary(s.end1.get() as usize - 1)
            });
            // One reference of the reserve, settled when `self` drops.
            s.ptr = Some(buf.cast());
            self.taken += 1;
        }
    }
}

impl Drop for Sharing {
    /// Gives back the part of the reserve no string took (the buffer is freed if none did).
    /// Strings given the buffer may be cloned or dropped before this: each counts against
    /// the reserve, so the count is exact once it is settled.
    fn drop(&mut self) {
        if let Some(buf) = self.buf {
            // SAFETY: the `BUILDING - taken` references given back are held by no string.
            unsafe { release(buf, BUILDING - self.taken) }
        }
    }
}

/// The count a buffer starts with while [`SharedText::share_into`] hands it out: far above
/// any real count, far below [`MAX_COUNT`].
const BUILDING: usize = 1 << (usize::BITS - 3);

/// A count above this means clones leaked by the billion (`mem::forget`): aborting is the
/// only sound answer, as `Arc` does.
const MAX_COUNT: usize = isize::MAX as usize;

/// The header in front of a counted buffer's text: one allocation, so that a [`SharedStr`]
/// points to it with one word (an `Arc<str>` takes two).
#[repr(C)]
struct Header {
    count: AtomicUsize,
    len: usize,
}

/// The allocation of a buffer of a text of `len` bytes (the text starts
/// `size_of::<Header>()` in).
fn layout(len: usize) -> Layout {
    Layout::new::<Header>()
        .extend(Layout::array::<u8>(len).unwrap_or_else(|_| capacity_overflow()))
        .unwrap_or_else(|_| capacity_overflow())
        .0
}

/// A buffer holding a copy of `text` (not empty), with `count` references.
fn new_buffer(text: &str, count: usize) -> NonNull<Header> {
    debug_assert!(!text.is_empty());
    let layout = layout(text.len());
    // SAFETY: the layout has a non-zero size (it holds the header).
    let raw = unsafe { alloc::alloc(layout) }.cast::<Header>();
    let Some(ptr) = NonNull::new(raw) else {
        alloc::handle_alloc_error(layout)
    };
    // SAFETY: `raw` is a fresh allocation of `layout`: a header, then `text.len()` bytes.
    unsafe {
        raw.write(Header {
            count: AtomicUsize::new(count),
            len: text.len(),
        });
        std::ptr::copy_nonoverlapping(text.as_ptr(), text_of(ptr), text.len());
    }
    ptr
}

/// Where the text of the buffer at `ptr` starts.
fn text_of(ptr: NonNull<Header>) -> *mut u8 {
    // SAFETY (of the `add`): the allocation holds the header and then the text.
    unsafe { ptr.as_ptr().cast::<u8>().add(std::mem::size_of::<Header>()) }
}

/// The text of the buffer at `ptr`.
///
/// # Safety
/// The buffer is live for `'a` (the caller holds a reference to it).
unsafe fn buffer_str<'a>(ptr: NonNull<Header>) -> &'a str {
    // SAFETY: live (the caller's word); `new_buffer` copied `len` bytes of a `str` there,
    // and nothing writes them since.
    unsafe {
        let len = ptr.as_ref().len;
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(text_of(ptr), len))
    }
}

/// The `'static` text of `len` bytes at `ptr`.
///
/// # Safety
/// `ptr` and `len` are those of a `&'static str`.
unsafe fn static_str(ptr: NonNull<u8>, len: usize) -> &'static str {
    // SAFETY: the caller's word.
    unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr.as_ptr(), len)) }
}

/// Adds a reference to the buffer at `ptr`.
///
/// # Safety
/// The caller holds a reference to the buffer.
unsafe fn retain(ptr: NonNull<Header>) {
    // As `Arc`: a new reference is made from an existing one, so no ordering is needed.
    // SAFETY: live (the caller's reference).
    if unsafe { ptr.as_ref() }
        .count
        .fetch_add(1, Ordering::Relaxed)
        > MAX_COUNT
    {
        std::process::abort();
    }
}

/// Takes `n` references off the count of the buffer at `ptr`, freeing it at zero.
///
/// # Safety
/// The caller holds `n` references to the buffer and uses none of them after this.
unsafe fn release(ptr: NonNull<Header>, n: usize) {
    // SAFETY: the caller's references keep the header alive up to the decrement.
    let header = unsafe { ptr.as_ref() };
    // As `Arc`: `Release` so that every use of the text happens before the free, `Acquire`
    // (the fence) by the thread that frees it.
    if header.count.fetch_sub(n, Ordering::Release) != n {
        return;
    }
    atomic::fence(Ordering::Acquire);
    let layout = layout(header.len);
    // SAFETY: the count reached zero, so no reference is left; `ptr` came from `alloc::alloc`
    // with this layout.
    unsafe { alloc::dealloc(ptr.as_ptr().cast(), layout) }
}

#[cold]
fn capacity_overflow() -> ! {
    panic!("SharedStr: text too large to allocate")
}

impl Default for SharedStr {
    /// The empty string (no allocation).
    fn default() -> Self {
        SharedStr {
            ptr: None,
            start: 0,
            end1: WHOLE,
        }
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// A link's target is two words of string, and an absent name costs no more.
const _: () = assert!(std::mem::size_of::<Option<SharedStr>>() == 16);

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr::own(s)
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        SharedStr::own(s)
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr::own(&s)
    }
}

impl From<Cow<'_, str>> for SharedStr {
    fn from(s: Cow<'_, str>) -> Self {
        SharedStr::own(&s)
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.as_str().to_string()
    }
}

impl From<&SharedStr> for String {
    fn from(s: &SharedStr) -> Self {
        s.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The references the buffer of `s` counts.
    fn count(s: &SharedStr) -> usize {
        // SAFETY: `s` holds a reference.
        s.buffer()
            .map_or(0, |h| unsafe { h.as_ref() }.count.load(Ordering::Relaxed))
    }

    #[test]
    fn slices_of_one_buffer_read_as_their_own_text() {
        let mut t = SharedText::default();
        let a = t.push("http://h/api/jobs/1").unwrap();
        let b = t.push("Nightly ✓").unwrap();
        let empty = t.push("").unwrap();
        let (mut a, mut b, mut empty) = (
            SharedStr::pending(a),
            SharedStr::pending(b),
            SharedStr::pending(empty),
        );
        assert_eq!(a, "", "pending: no text yet");
        let mut own = SharedStr::from("own");
        t.share_into([&mut a, &mut own, &mut b, &mut empty]);
        assert_eq!(own, "own", "a string of its own is left alone");
        assert_eq!(count(&own), 1);
        assert_eq!(a, "http://h/api/jobs/1");
        assert_eq!(b.as_str(), "Nightly ✓");
        assert_eq!(empty, SharedStr::default());
        assert!(empty.ptr.is_none());
        assert_eq!(format!("{b:?}"), "\"Nightly ✓\"");
        assert_eq!(a.buffer(), b.buffer(), "one buffer for both");
        assert_eq!(count(&a), 2, "counted once for each string that took it");
        assert!(
            t.text.is_empty() && t.capacity() >= 28,
            "emptied, capacity kept"
        );
    }

    #[test]
    fn clones_and_drops_keep_the_count_and_the_text() {
        let mut t = SharedText::default();
        let r = t.push("https://em:9398/api/jobs/0e2f").unwrap();
        let mut a = SharedStr::pending(r);
        t.share_into([&mut a]);
        assert_eq!(count(&a), 1);
        let clones: Vec<SharedStr> = (0..5).map(|_| a.clone()).collect();
        assert_eq!(count(&a), 6);
        let sent = std::thread::spawn({
            let c = clones[0].clone();
            move || c.as_str().len()
        });
        assert_eq!(sent.join().unwrap(), a.len());
        assert_eq!(count(&a), 6, "the thread's clone was dropped there");
        drop(clones);
        assert_eq!(count(&a), 1);
        assert_eq!(a, "https://em:9398/api/jobs/0e2f");
        let own = SharedStr::from(String::from("ü"));
        let again = own.clone();
        drop(own);
        assert_eq!((again.as_str(), count(&again)), ("ü", 1));
    }

    #[test]
    fn a_buffer_no_string_takes_is_freed_at_once() {
        let mut t = SharedText::default();
        t.push("never handed out").unwrap();
        let mut own = SharedStr::from("x");
        // Under Miri or a leak checker this shows the buffer is freed; here it must not crash.
        t.share_into([&mut own]);
        t.share_into(std::iter::empty());
        assert_eq!((own.as_str(), count(&own)), ("x", 1));
    }

    #[test]
    fn a_string_at_the_start_of_a_recent_one_is_not_written_again() {
        let mut t = SharedText::default();
        let job = "http://h/api/jobs/7?action=start";
        let a = t.push(job).unwrap();
        let n = t.push("Nightly ✓").unwrap();
        assert_eq!(
            t.push("http://h/api/jobs/7"),
            Some(a.start..a.start + 19),
            "a prefix"
        );
        assert_eq!(t.push("Nightly ✓"), Some(n.clone()), "the same");
        assert_eq!(t.push("Nightly"), Some(n.start..n.start + 7));
        assert_eq!(t.push(""), Some(0..0));
        let len = t.text.len();
        assert_eq!(len, job.len() + "Nightly ✓".len(), "nothing written twice");
        let c = t.push("http://h/api/jobs/7?action=stop").unwrap();
        assert_eq!(c.start as usize, len, "not a prefix: written");
        let d = t.push("x").unwrap();
        assert_eq!(d.start as usize, t.text.len() - 1);
        // Only the last two are looked at: the first string is no longer among them.
        assert_eq!(
            t.push(job).unwrap().start as usize,
            t.text.len() - job.len()
        );
        let mut strings: Vec<SharedStr> = [a, n, c].into_iter().map(SharedStr::pending).collect();
        t.share_into(&mut strings);
        assert_eq!(
            strings,
            [job, "Nightly ✓", "http://h/api/jobs/7?action=stop"]
        );
        assert_eq!(
            t.push("http://h/api/jobs/7"),
            Some(0..19),
            "forgotten once shared"
        );
    }

    proptest::proptest! {
        /// Whatever is pushed (repeats, prefixes, multibyte text, empty strings), every
        /// string reads back as pushed once shared, clones outlive the originals, and the
        /// count is the number of live strings.
        #[test]
        fn shared_strings_read_back_what_was_pushed(
            words in proptest::collection::vec("(ab|é|✓|/api/jobs/1|\\?action=start|x){0,6}", 0..24),
            keep in proptest::collection::vec(proptest::bool::ANY, 24),
        ) {
            let mut t = SharedText::default();
            let mut strings: Vec<SharedStr> = words
                .iter()
                .map(|w| SharedStr::pending(t.push(w).expect("small")))
                .collect();
            proptest::prop_assert!(t.text.len() <= words.iter().map(|w| w.len()).sum::<usize>());
            t.share_into(&mut strings);
            for (s, w) in strings.iter().zip(&words) {
                proptest::prop_assert_eq!(s.as_str(), w.as_str());
            }
            let live = strings.iter().filter(|s| s.buffer().is_some()).count();
            if let Some(s) = strings.iter().find(|s| s.buffer().is_some()) {
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

    #[test]
    fn equality_hash_and_order_are_the_texts() {
        use std::collections::hash_map::DefaultHasher;
        let h = |s: &dyn Fn(&mut DefaultHasher)| {
            let mut d = DefaultHasher::new();
            s(&mut d);
            d.finish()
        };
        let mut t = SharedText::default();
        let r = t.push("xabc").unwrap();
        let mut sliced = SharedStr::pending(r.start + 1..r.end);
        t.share_into([&mut sliced]);
        let own = SharedStr::from("abc");
        assert_eq!(sliced, own);
        assert_eq!(h(&|d| sliced.hash(d)), h(&|d| "abc".hash(d)));
        let (abd, mut list) = (SharedStr::from("abd"), vec![sliced.clone()]);
        list.insert(0, abd);
        list.sort();
        assert_eq!(list, ["abc", "abd"], "ordered as text");
        assert_eq!(String::from(sliced), "abc");
    }

    #[test]
    fn a_static_text_is_borrowed_and_never_counted() {
        static NAMES: &str = "Start Stop";
        let stop = SharedStr::from_static(&NAMES[6..]);
        assert_eq!(
            (stop.as_str(), stop.as_ptr()),
            ("Stop", NAMES[6..].as_ptr())
        );
        assert!(stop.buffer().is_none(), "no buffer, no count");
        assert!(stop.is_static() && !SharedStr::from("Stop").is_static());
        let clones: Vec<SharedStr> = (0..3).map(|_| stop.clone()).collect();
        drop(stop);
        assert_eq!(clones, ["Stop"; 3]);
        assert_eq!(SharedStr::from_static(""), SharedStr::default());
        assert_eq!(
            SharedStr::from_static("Start"),
            SharedStr::from("Start"),
            "as text"
        );
        let mut pending = SharedStr::from_static("Retry");
        let mut t = SharedText::default();
        t.push("x").unwrap();
        t.share_into([&mut pending]);
        assert_eq!(pending.as_str(), "Retry", "a static text is left alone");
    }
}
