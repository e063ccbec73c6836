//! Rust naming: snake case, camel case, screaming case, keywords.

/// Rust keywords (strict and reserved) that cannot be field or method names as they are.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// True for Rust keywords.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// True when `s` is a plain Rust identifier (not a keyword).
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_ascii_alphanumeric()) && !is_keyword(s) && s != "_"
}

/// Names the generated code defines itself or uses without a path (prelude types, traits
/// and variants); a spec type or enum with one of these names would shadow it.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Api",
    "Client",
    "Session",
    "SessionOps",
    "TaskRepr",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "Box",
    "String",
    "Default",
    "Debug",
    "Clone",
    "PartialEq",
    "Eq",
    "Hash",
    "Send",
    "Sync",
    "Sized",
];

/// True for names a spec type or enum cannot take (see [`RESERVED_TYPE_NAMES`]).
pub fn is_reserved_type_name(s: &str) -> bool {
    RESERVED_TYPE_NAMES.contains(&s)
}

/// True when `s` can be an XML element or attribute name (no namespace prefix): a letter or
/// `_` first, then letters, digits, `_`, `-` or `.`.
pub fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// True when `s` is a plain word of a query language: an ASCII letter or `_` first, then
/// ASCII letters, digits or `_`, with at least one letter or digit.
pub fn is_query_word(s: &str) -> bool {
    s.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && s.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_alphanumeric())
}

/// `JobScheduleOptions` → `job_schedule_options`, `UID` → `uid`, `CreationTimeUTC` →
/// `creation_time_utc`, `vCloud` → `v_cloud`; a keyword gets a trailing underscore.
pub fn snake(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// `SCREAMING_SNAKE` form for constants.
pub fn screaming(s: &str) -> String {
    snake(s).trim_end_matches('_').to_ascii_uppercase()
}

/// An enum value as a Rust variant: `vCloud` → `VCloud`, `Full Backup` → `FullBackup`,
/// `1` → `V1`.
pub fn variant(s: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Self" || out == "Other" {
        out.push('_');
    }
    out
}

/// The English plural of an element name, as .NET serializers name list properties
/// (`ObjectInJob` → `ObjectInJobs`, `DirectoryEntry` → `DirectoryEntries`, `Address` →
/// `Addresses`).
pub fn plural(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let consonant_y = lower.ends_with('y')
        && !matches!(
            lower.chars().rev().nth(1),
            Some('a' | 'e' | 'i' | 'o' | 'u')
        );
    if consonant_y {
        format!("{}ies", &s[..s.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        format!("{s}es")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases() {
        assert_eq!(snake("JobScheduleOptions"), "job_schedule_options");
        assert_eq!(snake("UID"), "uid");
        assert_eq!(snake("CreationTimeUTC"), "creation_time_utc");
        assert_eq!(snake("Type"), "type_");
        assert_eq!(snake("HierarchyObjRef"), "hierarchy_obj_ref");
        assert_eq!(snake("ToggleScheduleEnabled"), "toggle_schedule_enabled");
        assert_eq!(snake("vCloud"), "v_cloud");
        assert_eq!(snake("1st"), "_1st");
    }

    #[test]
    fn variants() {
        assert_eq!(variant("vCloud"), "VCloud");
        assert_eq!(variant("Full Backup"), "FullBackup");
        assert_eq!(variant("1"), "V1");
        assert_eq!(variant("Other"), "Other_");
    }

    #[test]
    fn xml_and_query_names() {
        assert!(is_xml_name("Name") && is_xml_name("_x") && is_xml_name("a-b.c"));
        assert!(is_xml_name("Größe"));
        for bad in ["", "1st", "-x", ".x", "a b", "a:b"] {
            assert!(!is_xml_name(bad), "{bad}");
        }
        assert!(is_query_word("JobName") && is_query_word("_a1"));
        for bad in ["", "_", "__", "1a", "a-b", "é"] {
            assert!(!is_query_word(bad), "{bad}");
        }
        assert!(is_reserved_type_name("Option") && !is_reserved_type_name("Job"));
    }

    #[test]
    fn idents() {
        assert!(is_ident("start"));
        assert!(!is_ident("type"));
        assert!(!is_ident("1a"));
        assert!(!is_ident("a-b"));
    }
}
