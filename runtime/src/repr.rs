//! Typed representations: the traits generated types implement ([`Repr`], [`Value`],
//! [`Scalar`], [`SpecEnum`]) and the scalar helpers their codecs call.

use std::borrow::Cow;
use std::fmt;

use crate::codec::Unknown;
use crate::json_in::JsonIn;
use crate::node::JsonKind;
use crate::out::Out;
use crate::xml_in::{XmlElem, XmlIn};

/// A decode failure inside a document: where (element path) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Element names from the root down to the offending node.
    pub path: Vec<String>,
    /// What was wrong.
    pub message: String,
}

impl DecodeError {
    /// A new error at the current node. (Cold: every caller is on an error path, and the
    /// hint keeps those paths out of line from the decoding loops.)
    #[cold]
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError {
            path: Vec::new(),
            message: message.into(),
        }
    }

    /// Prefixes the path with `name` (called while the error travels up).
    #[cold]
    pub fn within(mut self, name: &str) -> Self {
        self.path.insert(0, name.to_string());
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path.join("/"), self.message)
        }
    }
}

impl std::error::Error for DecodeError {}

/// A value written as text: an attribute value or an element's character data.
pub trait Scalar: Sized {
    /// Parses the text form.
    fn parse_text(text: &str) -> Result<Self, String>;
    /// Parses text that may already be owned (a `String` keeps it instead of copying).
    fn parse_cow(text: Cow<'_, str>) -> Result<Self, String> {
        Self::parse_text(&text)
    }
    /// The text form.
    fn to_text(&self) -> Cow<'_, str>;
    /// How the value is written in JSON.
    fn json_kind() -> JsonKind {
        JsonKind::String
    }
    /// The text written in a query-service filter (date-times are written in UTC).
    fn query_text(&self) -> Cow<'_, str> {
        self.to_text()
    }
}

/// Anything a representation's field can hold: scalars, enums, links and representations.
/// Records (generated types) get it from `Record` (hidden support); scalars from `scalar_value!`.
pub trait Value: Sized {
    /// Reads the value from an XML element, streaming.
    fn from_xml<'a>(x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<Self, DecodeError>;
    /// Reads the value from the next JSON value (never `null`: absence is handled above).
    fn from_json(j: &mut JsonIn<'_>) -> Result<Self, DecodeError>;
    /// Writes the value as the element (JSON member) `name`.
    fn write_value(&self, name: &str, out: &mut dyn Out);
    /// Writes the value, calling `between` where kept content of the parent may sit
    /// (inside a wrapper, see [`crate::Slot::write`]). The default ignores it.
    fn write_with(
        &self,
        name: &str,
        out: &mut dyn Out,
        between: &mut dyn FnMut(&mut dyn Out, u32),
    ) {
        let _ = between;
        self.write_value(name, out);
    }
    /// Reads a scalar from text (an attribute value); non-scalars refuse.
    fn from_text(text: &str) -> Result<Self, DecodeError> {
        let _ = text;
        Err(DecodeError::new("expected an element, found a plain value"))
    }
    /// The text of a scalar and how JSON writes it; `None` for non-scalars.
    fn to_text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
        None
    }
    /// The value as links, when it is.
    fn as_links(&self) -> Option<&crate::Links> {
        None
    }
    /// The value as a string, when it is.
    fn as_str(&self) -> Option<&str> {
        None
    }
    /// The value as a record and its field table, when it is one.
    fn as_record(&self) -> Option<(&dyn crate::Fields, &'static [crate::FieldDef])> {
        None
    }
    /// Reads the value from an XML element into `slot`, replacing what it held. Records
    /// read in place, so that a large representation is not moved once built.
    #[doc(hidden)]
    fn read_xml_option<'a>(
        slot: &mut Option<Self>,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        *slot = Some(Self::from_xml(x, e)?);
        Ok(())
    }
    /// Reads the value from an XML element onto the end of `into` (records: in place).
    #[doc(hidden)]
    fn push_xml<'a>(
        into: &mut Vec<Self>,
        x: &mut XmlIn<'a>,
        e: XmlElem<'a>,
    ) -> Result<(), DecodeError> {
        into.push(Self::from_xml(x, e)?);
        Ok(())
    }
    /// Reads the next JSON value into `slot`, replacing what it held (records: in place).
    #[doc(hidden)]
    fn read_json_option(slot: &mut Option<Self>, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        *slot = Some(Self::from_json(j)?);
        Ok(())
    }
    /// Reads the next JSON value onto the end of `into` (records: in place).
    #[doc(hidden)]
    fn push_json(into: &mut Vec<Self>, j: &mut JsonIn<'_>) -> Result<(), DecodeError> {
        into.push(Self::from_json(j)?);
        Ok(())
    }
}

/// A representation that can be a whole document: it has a root element name.
pub trait Repr: Value {
    /// The XML root element name (also the spec's type name, by default).
    const ROOT: &'static str;

    /// The links the representation carries, if it carries any.
    fn links(&self) -> Option<&crate::Links> {
        None
    }

    /// The representation's own URL (`Href` attribute), if it has one.
    fn href(&self) -> Option<&str> {
        None
    }

    /// What the representation read but its spec does not declare (kept and written back).
    fn unknown(&self) -> &Unknown {
        static NONE: Unknown = Unknown::NONE;
        &NONE
    }
}

/// Enumerations generated from the spec: values keep their declaration order (the query
/// service compares enums by it) and unknown values are kept, not rejected.
pub trait SpecEnum: Scalar {
    /// Declaration index, or `None` for a value the spec does not know.
    fn ordinal(&self) -> Option<usize>;
}

/// `text` without leading and trailing whitespace, as `str::trim` gives it; a value that
/// starts and ends with a printable ASCII character (almost every value) is returned as is
/// without the scan for Unicode whitespace.
pub fn trim_value(text: &str) -> &str {
    let solid = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace());
    let bytes = text.as_bytes();
    if solid(bytes.first()) && solid(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Parses an enum's text against its declared variants (ASCII case-insensitive).
pub fn enum_index(text: &str, variants: &[&str]) -> Option<usize> {
    variants.iter().position(|v| v.eq_ignore_ascii_case(text))
}

/// Implements [`Value`] for a [`Scalar`] type (generated enums use it): text in XML, a
/// string, number or boolean in JSON.
#[macro_export]
macro_rules! scalar_value {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::Value for $t {
            fn from_xml<'a>(x: &mut $crate::__private::XmlIn<'a>, e: $crate::__private::XmlElem<'a>) -> ::std::result::Result<Self, $crate::DecodeError> {
                $crate::__private::scalar_from_xml(x, e)
            }
            fn from_json(j: &mut $crate::__private::JsonIn<'_>) -> ::std::result::Result<Self, $crate::DecodeError> {
                $crate::__private::scalar_from_json(j)
            }
            fn write_value(&self, name: &str, out: &mut dyn $crate::Out) {
                $crate::__private::scalar_write(self, name, out)
            }
            fn from_text(text: &str) -> ::std::result::Result<Self, $crate::DecodeError> {
                <$t as $crate::Scalar>::parse_text(text).map_err($crate::DecodeError::new)
            }
            fn to_text(&self) -> ::std::option::Option<(::std::borrow::Cow<'_, str>, $crate::JsonKind)> {
                ::std::option::Option::Some(($crate::Scalar::to_text(self), <$t as $crate::Scalar>::json_kind()))
            }
        }
    )*};
}

macro_rules! scalar_num {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn parse_text(text: &str) -> Result<Self, String> {
                trim_value(text).parse::<$t>().map_err(|e| format!("`{}` is not a valid {}: {e}", short(text), stringify!($t)))
            }
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
            fn json_kind() -> JsonKind {
                JsonKind::Number
            }
        }
        scalar_value!($t);
    )*};
}

scalar_num!(i32, i64, u32, u64, f64);

impl Scalar for bool {
    fn parse_text(text: &str) -> Result<Self, String> {
        match trim_value(text) {
            t if t.eq_ignore_ascii_case("true") || t == "1" => Ok(true),
            t if t.eq_ignore_ascii_case("false") || t == "0" => Ok(false),
            t => Err(format!("`{}` is not a boolean", short(t))),
        }
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
    fn json_kind() -> JsonKind {
        JsonKind::Bool
    }
}

scalar_value!(bool);

impl Scalar for String {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(text.to_string())
    }
    fn parse_cow(text: Cow<'_, str>) -> Result<Self, String> {
        Ok(text.into_owned())
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

/// Implements [`Value`] for a string type: text in XML, a JSON string (or any scalar's
/// text), and readable as a `str` (a representation's own URL is found so).
macro_rules! text_value {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn from_xml<'a>(x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<Self, DecodeError> {
                scalar_from_xml(x, e)
            }
            fn from_json(j: &mut JsonIn<'_>) -> Result<Self, DecodeError> {
                let t = j.scalar()?.map_or(Cow::Borrowed(""), |(t, _)| t);
                <$t as Scalar>::parse_cow(t).map_err(DecodeError::new)
            }
            fn write_value(&self, name: &str, out: &mut dyn Out) {
                out.scalar(name, self, JsonKind::String);
            }
            fn from_text(text: &str) -> Result<Self, DecodeError> {
                <$t as Scalar>::parse_text(text).map_err(DecodeError::new)
            }
            fn to_text(&self) -> Option<(Cow<'_, str>, JsonKind)> {
                Some((Cow::Borrowed(self), JsonKind::String))
            }
            fn as_str(&self) -> Option<&str> {
                Some(self)
            }
        }
    )*};
}

// `String` for the fields of derived structs; `SharedStr` for generated ones, read into the
// thread's chunk of decoded text (links too, see [`crate::SharedStr`]).
text_value!(String, crate::SharedStr);

impl Scalar for crate::SharedStr {
    /// Reads the text into the thread's chunk of decoded text (see [`crate::SharedStr`]).
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(crate::SharedStr::decoded(text))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

/// Reads a scalar from an element's character data (child elements are an error: a
/// scalar has nowhere to keep them).
pub fn scalar_from_xml<'a, T: Scalar>(x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<T, DecodeError> {
    let t = x.text_cow(e)?;
    T::parse_cow(t).map_err(DecodeError::new)
}

/// Reads a scalar from a JSON string, number or boolean.
pub fn scalar_from_json<T: Scalar>(j: &mut JsonIn<'_>) -> Result<T, DecodeError> {
    match j.scalar()? {
        Some((t, _)) => T::parse_text(&t).map_err(DecodeError::new),
        None => T::parse_text("").map_err(DecodeError::new),
    }
}

/// Writes a scalar as an element with text.
pub fn scalar_write<T: Scalar>(v: &T, name: &str, out: &mut dyn Out) {
    out.scalar(name, &v.to_text(), T::json_kind());
}

/// At most 60 characters of `text`, for error messages.
pub(crate) fn short(text: &str) -> Cow<'_, str> {
    if text.chars().count() <= 60 {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{}…", text.chars().take(60).collect::<String>()))
    }
}

#[cfg(test)]
mod tests {
    use super::trim_value;

    #[test]
    fn trim_value_is_str_trim() {
        let cases = [
            "",
            " ",
            "5",
            " 5",
            "5 ",
            "\t5\n",
            "\u{a0}5",
            "5\u{2003}",
            "\u{a0}",
            "é",
            " é ",
            "a b",
            "\r\n",
            "True",
            "x\u{85}",
        ];
        for c in cases {
            assert_eq!(trim_value(c), c.trim(), "{c:?}");
        }
    }
}
