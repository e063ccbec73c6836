//! [`SharedStr`]: an immutable string that may be a slice of a buffer other strings share.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::ops::{Deref, Range};
use std::sync::Arc;

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
    buf: Option<Arc<str>>,
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
            Some(b) if self.end1 == WHOLE => b,
            // Invariant: the slice lies on char boundaries inside `buf`: it is a range
            // `SharedText::push` returned for the text `buf` was made of.
            Some(b) => &b[self.start as usize..self.end1.get() as usize - 1],
        }
    }

    /// A string with its own buffer (`text` copied; none when it is empty).
    fn own(text: &str) -> Self {
        SharedStr {
            buf: (!text.is_empty()).then(|| Arc::from(text)),
            start: 0,
            end1: WHOLE,
        }
    }

    /// A string that is the range `r` of a [`SharedText`] still being written; it reads as
    /// empty until [`Shared::fill`] gives it its buffer. An empty range is the empty string.
    pub(crate) fn pending(r: Range<u32>) -> Self {
        SharedStr {
            buf: None,
            start: r.start,
            // `SharedText::push` keeps ends below `u32::MAX - 1`.
            end1: NonZeroU32::new(r.end + 1).unwrap_or(WHOLE),
        }
    }
}

/// Several strings written into one buffer and handed out as [`SharedStr`] slices of it.
#[derive(Debug, Default)]
pub(crate) struct SharedText {
    text: String,
}

impl SharedText {
    /// Appends `s` and returns where it lies, or `None` when the buffer would pass 4 GiB
    /// (the caller then keeps `s` in a string of its own).
    pub(crate) fn push(&mut self, s: &str) -> Option<Range<u32>> {
        let start = u32::try_from(self.text.len()).ok()?;
        let end = u32::try_from(self.text.len() + s.len())
            .ok()
            .filter(|&e| e < u32::MAX - 1)?;
        self.text.push_str(s);
        Some(start..end)
    }

    /// The text so far as one shared buffer (none when it is empty); the builder is
    /// emptied, its capacity kept.
    pub(crate) fn share(&mut self) -> Shared {
        let buf = (!self.text.is_empty()).then(|| Arc::from(self.text.as_str()));
        self.text.clear();
        Shared { buf }
    }

    /// Capacity kept between uses (bounded by the caller).
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
    }
}

/// The buffer of a [`SharedText`], ready to hand out slices.
pub(crate) struct Shared {
    buf: Option<Arc<str>>,
}

impl Shared {
    /// Gives `s`, when it is a non-empty [`SharedStr::pending`] slice of this buffer's
    /// text, the buffer; any other string is left as it is.
    pub(crate) fn fill(&self, s: &mut SharedStr) {
        if s.buf.is_none() && s.end1 != WHOLE && s.end1.get() - 1 > s.start {
            debug_assert!(self
                .buf
                .as_ref()
                .is_some_and(|b| b.len() >= s.end1.get() as usize - 1
                    && b.is_char_boundary(s.start as usize)
                    && b.is_char_boundary(s.end1.get() as usize - 1)));
            s.buf.clone_from(&self.buf);
        }
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

/// A link is three pointers' worth of string, and an absent one costs no more.
const _: () = assert!(std::mem::size_of::<Option<SharedStr>>() == 24);

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
        let shared = t.share();
        for s in [&mut a, &mut b, &mut empty] {
            shared.fill(s);
        }
        let mut own = SharedStr::from("own");
        shared.fill(&mut own);
        assert_eq!(own, "own", "a string of its own is left alone");
        assert_eq!(a, "http://h/api/jobs/1");
        assert_eq!(b.as_str(), "Nightly ✓");
        assert_eq!(empty, SharedStr::default());
        assert!(empty.buf.is_none());
        assert_eq!(format!("{b:?}"), "\"Nightly ✓\"");
        let (a, b) = (a.buf.unwrap(), b.buf.unwrap());
        assert!(Arc::ptr_eq(&a, &b), "one buffer for both");
        assert!(
            t.text.is_empty() && t.capacity() >= 28,
            "emptied, capacity kept"
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
        t.share().fill(&mut sliced);
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
