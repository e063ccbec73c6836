//! The wire format, and request bodies encoded in it.

use bytes::Bytes;

use crate::json::Casing;
use crate::repr::Repr;

/// Wire format of requests and answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// XML, the API's native format.
    #[default]
    Xml,
    /// JSON; request bodies are sent as JSON too.
    Json,
}

impl Format {
    /// The API's media type of this format (`[api] media` of its spec).
    pub fn media_type(self, media: &crate::MediaTypes) -> &'static str {
        match self {
            Format::Xml => media.xml,
            Format::Json => media.json,
        }
    }
}

/// A request body: any representation.
pub trait Body: Sync {
    /// Root element name.
    fn body_root(&self) -> &'static str;
    /// Writes the body as its root element through `out` (XML or JSON).
    fn write_body(&self, out: &mut dyn crate::Out);
}

impl<T: Repr + Sync> Body for T {
    fn body_root(&self) -> &'static str {
        T::ROOT
    }
    fn write_body(&self, out: &mut dyn crate::Out) {
        self.write_value(T::ROOT, out);
    }
}

/// A body accepted where the spec asks for `T`: `T` itself, or a user's
/// `#[derive(Resource)]` struct that stands for `T`.
pub trait BodyOf<T>: Body {}

impl<T: Repr + Sync> BodyOf<T> for T {}

/// A body as it is sent: its bytes and their content type.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    pub(crate) bytes: Bytes,
    pub(crate) content_type: &'static str,
}

/// Writes bodies in a client's format: XML in the API's namespace, or JSON with the
/// client's member casing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Encoder {
    format: Format,
    casing: Casing,
    namespace: &'static str,
    content_type: &'static str,
    json_text: &'static str,
}

impl Encoder {
    /// An encoder for `format`.
    pub(crate) fn new(format: Format, casing: Casing, info: &'static crate::ApiInfo) -> Self {
        Encoder {
            format,
            casing,
            namespace: info.namespace,
            content_type: format.media_type(&info.media),
            json_text: info.json_text,
        }
    }

    /// The wire format.
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// `body` in the wire format.
    pub(crate) fn encode(&self, body: &dyn Body) -> Encoded {
        let bytes = match self.format {
            Format::Xml => {
                let mut out = crate::XmlOut::new(self.namespace);
                body.write_body(&mut out);
                out.finish()
            }
            Format::Json => {
                let mut out = crate::JsonOut::new(self.casing, self.json_text);
                body.write_body(&mut out);
                out.finish()
            }
        };
        Encoded {
            bytes: Bytes::from(bytes),
            content_type: self.content_type,
        }
    }
}
