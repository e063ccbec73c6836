//! Secrets (passwords, session tokens): never printed, zeroed on drop.
//!
//! The session keeps the password (for re-logon) and the current token as [`SecretString`]s;
//! their `Debug` and `Display` print `***` and their memory is overwritten when dropped
//! (tokens replaced by a re-logon included). What cannot practically be wiped: the short-lived
//! copies the HTTP stack makes while sending a request (the `Authorization` and token header
//! values, which are marked sensitive so that they are never logged), and a caller's own
//! copies of the password before it was handed over.

use std::fmt;

use zeroize::Zeroize;

/// A secret string. `Debug` and `Display` print `***`; the memory is zeroed on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The secret itself; keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_string())
    }
}

impl SecretString {
    /// Overwrites the whole buffer (spare capacity included) with zeros and empties it.
    fn wipe(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "SecretString(***) ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn wiped_like_on_drop() {
        let mut s = SecretString::new(String::from("hunter2-hunter2"));
        let (ptr, cap) = (s.0.as_ptr(), s.0.capacity());
        s.wipe();
        assert!(s.is_empty());
        // The buffer is still allocated (owned by `s`), and every byte is now zero.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, cap) };
        assert!(bytes.iter().all(|&b| b == 0), "{bytes:?}");
    }
}

/// A secret field of a representation (a password in a logon body): read and written as text,
/// never shown by `Debug`.
impl crate::repr::Scalar for SecretString {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(SecretString::new(text))
    }
    fn parse_cow(text: std::borrow::Cow<'_, str>) -> Result<Self, String> {
        Ok(SecretString::new(text.into_owned()))
    }
    fn to_text(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.expose())
    }
}

crate::scalar_value!(SecretString);
