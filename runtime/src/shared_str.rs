//! [`SharedStr`]: an immutable string that may be a slice of a buffer other strings share.

use std::alloc::{self, Layout};
use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::ops::{Deref, Range};
use std::ptr::NonNull;
use std::sync::atomic::{self, AtomicUsize, Ordering};

/// An immutable string, read as a `str`: either its own buffer or a slice of one that
/// several strings share. The links of an XML wrapper (`<Links>`), decoded, keep all their
/// targets and names in one such buffer, so that a representation's links cost one
/// allocation for their text, not one or two per link. Cloning it never copies the text;
/// comparing, hashing and ordering are those of the `str`. Build one with `From` (`"…".into()`)
/// and read it as a `&str` (`&*s`, [`SharedStr::as_str`]) or turn it into a `String`.
#[derive(Clone)]
pub struct SharedStr {
    /// The buffer; `None` for the empty string, and for a slice of a [`SharedText`] not
    /// yet shared (see [`SharedStr::pending`]).
    buf: Option<ThinBuf>,
    start: u32,
    /// One past the end of the slice, or [`WHOLE`]: the string is all of `buf`.
    end1: NonZeroU32,
}

/// [`SharedStr::end1`] of a string that is its whole buffer (of any length).
const WHOLE: NonZeroU32 = NonZeroU32::MAX;

impl SharedStr {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.buf {
            None => "",
            Some(b) if self.end1 == WHOLE => b.as_str(),
            // Invariant: the slice lies on char boundaries inside `buf`: it is a range
            // `SharedText::push` returned for the text `buf` was made of.
            Some(b) => &b.as_str()[self.start as usize..self.end1.get() as usize - 1],
        }
    }

    /// A string with its own buffer (`text` copied; none when it is empty).
    fn own(text: &str) -> Self {
        SharedStr {
            buf: (!text.is_empty()).then(|| ThinBuf::new(text, 1)),
            start: 0,
            end1: WHOLE,
        }
    }

    /// A string that is the range `r` of a [`SharedText`] still being written; it reads as
    /// empty until [`SharedText::share_into`] gives it its buffer. An empty range is the
    /// empty string.
    pub(crate) fn pending(r: Range<u32>) -> Self {
        SharedStr {
            buf: None,
            start: r.start,
            // `SharedText::push` keeps ends below `u32::MAX - 1`.
            end1: NonZeroU32::new(r.end + 1).unwrap_or(WHOLE),
        }
    }

    /// Whether this is a non-empty slice still waiting for its buffer.
    fn is_pending(&self) -> bool {
        self.buf.is_none() && self.end1 != WHOLE && self.end1.get() - 1 > self.start
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
    /// lies, or `None` when the buffer would pass 4 GiB (the caller then keeps `s` in a
    /// string of its own).
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
            .filter(|&e| e < u32::MAX - 1)?;
        self.text.push_str(s);
        self.recent = [(start, end), self.recent[0]];
        Some(start..end)
    }

    /// Copies the text so far into one shared buffer and gives it to every string of
    /// `strings` that is a non-empty [`SharedStr::pending`] slice of it (any other string is
    /// left as it is). The builder is emptied, its capacity kept.
    ///
    /// The buffer's count is set once for all the strings that took it, with one atomic
    /// operation, instead of one increment per string.
    pub(crate) fn share_into<'s>(&mut self, strings: impl IntoIterator<Item = &'s mut SharedStr>) {
        if self.text.is_empty() {
            return;
        }
        let buf = ThinBuf::new(&self.text, BUILDING);
        let mut taken = 0;
        for s in strings {
            if s.is_pending() {
                debug_assert!(
                    buf.as_str().len() >= s.end1.get() as usize - 1
                        && buf.as_str().is_char_boundary(s.start as usize)
                        && buf.as_str().is_char_boundary(s.end1.get() as usize - 1)
                );
                // Counted in `taken`, settled below.
                s.buf = Some(ThinBuf {
                    ptr: buf.ptr,
                    text: PhantomData,
                });
                taken += 1;
            }
        }
        self.text.clear();
        self.recent = Default::default();
        // `buf` holds `BUILDING` counts: its own and a reserve for the strings that took it.
        // Give back its own and the part of the reserve they did not take. Should `strings`
        // panic, the reserve stays: the buffer leaks, and no string is freed early.
        buf.release(BUILDING - 1 - taken);
    }

    /// Capacity kept between uses (bounded by the caller).
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
    }
}

/// The count a buffer starts with while [`SharedText::share_into`] hands it out: far above
/// any real count, far below [`MAX_COUNT`].
const BUILDING: usize = 1 << (usize::BITS - 3);

/// A count above this means clones leaked by the billion (`mem::forget`): aborting is the
/// only sound answer, as `Arc` does.
const MAX_COUNT: usize = isize::MAX as usize;

/// The header in front of a [`ThinBuf`]'s text.
#[repr(C)]
struct Header {
    count: AtomicUsize,
    len: usize,
}

/// An immutable, reference-counted text in one allocation (header, then the bytes) behind
/// one pointer: half the size of an `Arc<str>`, so that a [`SharedStr`] is two words.
struct ThinBuf {
    ptr: NonNull<Header>,
    text: PhantomData<str>,
}

// SAFETY: the text is never written after `new`, and the count is atomic, as in `Arc<str>`.
unsafe impl Send for ThinBuf {}
// SAFETY: as above.
unsafe impl Sync for ThinBuf {}

impl ThinBuf {
    /// The allocation of a text of `len` bytes (the text starts `size_of::<Header>()` in).
    fn layout(len: usize) -> Layout {
        Layout::new::<Header>()
            .extend(Layout::array::<u8>(len).unwrap_or_else(|_| capacity_overflow()))
            .unwrap_or_else(|_| capacity_overflow())
            .0
    }

    /// A buffer holding a copy of `text` (not empty), with `count` references.
    fn new(text: &str, count: usize) -> Self {
        debug_assert!(!text.is_empty());
        let layout = Self::layout(text.len());
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
            std::ptr::copy_nonoverlapping(text.as_ptr(), Self::bytes(ptr), text.len());
        }
        ThinBuf {
            ptr,
            text: PhantomData,
        }
    }

    /// Where the text of the buffer at `ptr` starts.
    fn bytes(ptr: NonNull<Header>) -> *mut u8 {
        // SAFETY (of the `add`): the allocation holds the header and then the text.
        unsafe { ptr.as_ptr().cast::<u8>().add(std::mem::size_of::<Header>()) }
    }

    fn header(&self) -> &Header {
        // SAFETY: the buffer lives while a reference (this one) does.
        unsafe { self.ptr.as_ref() }
    }

    fn as_str(&self) -> &str {
        let len = self.header().len;
        // SAFETY: `new` copied `len` bytes of a `str` there, and nothing writes them since.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(Self::bytes(self.ptr), len))
        }
    }

    /// Gives back this reference and `more` others of the count (see
    /// [`SharedText::share_into`]), freeing the buffer when they were the last.
    fn release(self, more: usize) {
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: `self` was a reference, and the caller gives back `more` others it holds.
        unsafe { release(ptr, more + 1) }
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
    let layout = ThinBuf::layout(header.len);
    // SAFETY: the count reached zero, so no reference is left; `ptr` came from `alloc::alloc`
    // with this layout.
    unsafe { alloc::dealloc(ptr.as_ptr().cast(), layout) }
}

#[cold]
fn capacity_overflow() -> ! {
    panic!("SharedStr: text too large to allocate")
}

impl Clone for ThinBuf {
    fn clone(&self) -> Self {
        // As `Arc`: a new reference is made from an existing one, so no ordering is needed.
        if self.header().count.fetch_add(1, Ordering::Relaxed) > MAX_COUNT {
            std::process::abort();
        }
        ThinBuf {
            ptr: self.ptr,
            text: PhantomData,
        }
    }
}

impl Drop for ThinBuf {
    fn drop(&mut self) {
        // SAFETY: `self` is one reference, never used again.
        unsafe { release(self.ptr, 1) }
    }
}

impl Default for SharedStr {
    /// The empty string (no allocation).
    fn default() -> Self {
        SharedStr {
            buf: None,
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
        s.buf
            .as_ref()
            .map_or(0, |b| b.header().count.load(Ordering::Relaxed))
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
        assert!(empty.buf.is_none());
        assert_eq!(format!("{b:?}"), "\"Nightly ✓\"");
        assert_eq!(
            a.buf.as_ref().map(|b| b.ptr),
            b.buf.as_ref().map(|b| b.ptr),
            "one buffer for both"
        );
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
}
