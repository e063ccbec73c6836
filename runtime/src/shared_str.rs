//! [`SharedStr`]: an immutable string that may be a slice of a buffer other strings share,
//! or borrow a `'static` text.

use std::alloc::{self, Layout};
use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{self, AtomicUsize, Ordering};

mod chunk;

/// An immutable string, read as a `str`: its own buffer, a slice of one that several
/// strings share, or a `'static` text borrowed. It is the type of a generated
/// representation's text fields and of a link's strings.
///
/// The strings a thread decodes are written one after the other into chunks of 4 KiB that
/// they share, so that a document's text costs one allocation per chunk, not one per value;
/// a value longer than 512 bytes gets a buffer of its own. A link's relation and type, and a
/// representation's `Type`, borrow the spec's table of names. Cloning never copies the text,
/// and comparing, hashing and ordering are those of the `str`. It is two words.
///
/// Build one with `From` (`"…".into()`, which copies into a buffer of its own) and read it
/// as a `&str` (`&*s`, [`SharedStr::as_str`], `Option::as_deref`) or turn it into a
/// `String`. One decoded string kept alive keeps its chunk alive; copy it into a `String`
/// (or a `SharedStr::from`) to keep a few bytes out of a document dropped.
pub struct SharedStr {
    /// `None`: the empty string. Otherwise, when `start` has the [`STATIC`] bit, the first
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
/// it (a chunk is 4 KiB).
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
        if self.end1 == WHOLE {
            // SAFETY: `ptr` is a live buffer's header: this string holds one of its references.
            return unsafe { buffer_str(ptr.cast()) };
        }
        let (start, end) = (self.start as usize, self.end1.get() as usize - 1);
        // SAFETY: live, as above. Invariant: the slice is a range that a thread's chunk
        // (`chunk::Chunk::push`) wrote a whole `str` into, and its bytes are never written
        // again. A chunk's bytes past what it wrote are not read.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                text_of(ptr.cast()).add(start),
                end - start,
            ))
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
            ptr: (!text.is_empty()).then(|| new_buffer(text).cast()),
            start: 0,
            end1: WHOLE,
        }
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

/// The count a chunk holds while it is written and hands out strings: far above
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

/// A buffer holding a copy of `text` (not empty), with one reference.
fn new_buffer(text: &str) -> NonNull<Header> {
    debug_assert!(!text.is_empty());
    let ptr = alloc_buffer(text.len(), 1);
    // SAFETY: a fresh buffer has room for `text.len()` bytes after its header.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), text_of(ptr), text.len()) };
    ptr
}

/// A buffer with room for `len` bytes of text, not yet written, and `count` references.
fn alloc_buffer(len: usize, count: usize) -> NonNull<Header> {
    let layout = layout(len);
    // SAFETY: the layout has a non-zero size (it holds the header).
    let raw = unsafe { alloc::alloc(layout) }.cast::<Header>();
    let Some(ptr) = NonNull::new(raw) else {
        alloc::handle_alloc_error(layout)
    };
    // SAFETY: `raw` is a fresh allocation of `layout`, which starts with a header.
    unsafe {
        raw.write(Header {
            count: AtomicUsize::new(count),
            len,
        })
    };
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

pub use chunk::close_text_chunk;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_buffers_count_their_clones() {
        let own = SharedStr::from(String::from("ü"));
        let again = own.clone();
        let sent = std::thread::spawn({
            let c = own.clone();
            move || c.as_str().len()
        });
        assert_eq!(sent.join().unwrap(), 2);
        drop(own);
        // SAFETY: `again` holds a reference.
        let count = again
            .buffer()
            .map(|h| unsafe { h.as_ref() }.count.load(Ordering::Relaxed));
        assert_eq!((again.as_str(), count), ("ü", Some(1)));
    }

    #[test]
    fn equality_hash_and_order_are_the_texts() {
        use std::collections::hash_map::DefaultHasher;
        let h = |s: &dyn Fn(&mut DefaultHasher)| {
            let mut d = DefaultHasher::new();
            s(&mut d);
            d.finish()
        };
        let sliced = SharedStr::decoded("abc");
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
    }
}
