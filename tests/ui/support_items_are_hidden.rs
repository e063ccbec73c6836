// The support code of generated code (field tables, cursors, the follow functions) is not
// part of the runtime's public API: only the hidden `__private` path reaches it.
use emrest::runtime::{follow, Record, XmlIn};

fn main() {}
