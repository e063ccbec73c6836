//! The generic resource store: resources the hand-written families do not model, kept per
//! *key* — a spec URL template up to its last placeholder with literals lower-cased and
//! placeholders written `{}` (`/agents/jobs/{}`, `/agents/jobs/{}/includes/{}`).
//!
//! A key is filled on first use: if a hand-written family already serves its collection
//! (probed with an internal GET), the store mirrors that family's ids so that generic links
//! point at real objects; otherwise it is seeded with a few named resources. `Create` adds to
//! a key, `Delete` removes, `Edit` renames.

use std::collections::BTreeMap;

use crate::spec::{Seg, Template};

/// One stored resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Values of the key's placeholders, outermost first (the last one is the item's own id).
    pub ids: Vec<String>,
    /// Display name.
    pub name: String,
}

/// Who serves a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A hand-written family; the items mirror some of its objects.
    Hand,
    /// The generic layer.
    Generic,
}

/// Items of one key.
#[derive(Debug, Clone)]
pub struct Slot {
    /// Who serves the key.
    pub origin: Origin,
    /// The items.
    pub items: Vec<Item>,
}

/// All keys.
#[derive(Debug, Default)]
pub struct Store {
    /// Slots by key.
    pub slots: BTreeMap<String, Slot>,
    /// Items created so far (for fresh ids).
    pub created: u64,
}

/// The key of the first `vars` placeholders of `t`: its segments up to and including that
/// placeholder. `None` when `t` has fewer placeholders.
pub fn key_of(t: &Template, vars: usize) -> Option<String> {
    if vars == 0 {
        return None;
    }
    let mut out = String::new();
    let mut seen = 0;
    for s in &t.segs {
        match s {
            Seg::Lit(l) => {
                out.push('/');
                out.push_str(l);
            }
            Seg::Var | Seg::Rest => {
                out.push_str("/{}");
                seen += 1;
                if seen == vars {
                    return Some(out);
                }
            }
        }
    }
    None
}

/// The collection path of a key (`/agents/jobs/{}` → `/agents/jobs`) with `parent_ids` in
/// its placeholders.
pub fn collection_path(key: &str, parent_ids: &[String]) -> Option<String> {
    let base = key.strip_suffix("/{}")?;
    let mut it = parent_ids.iter();
    let mut out = String::new();
    for s in base.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if s == "{}" {
            out.push_str(it.next()?);
        } else {
            out.push_str(s);
        }
    }
    Some(out)
}

/// Realistic-looking name stems for seeded resources.
const NAMES: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Adatum",
    "Litware",
    "Proseware",
    "Woodgrove",
    "Wingtip",
    "Humongous",
    "Lucerne",
    "Margie",
];

/// The name of seeded item `i` of `key`: the singular of its last literal segment in words
/// (`cloud/tenants` → `Tenant`, `hardwarePlans` → `Hardware plan`) and a stem.
pub fn seed_name(key: &str, i: usize) -> String {
    let word = key
        .split('/')
        .rev()
        .find(|s| !s.is_empty() && *s != "{}")
        .unwrap_or("item");
    let mut w = word.to_string();
    if let Some(s) = w.strip_suffix("ies") {
        w = format!("{s}y");
    } else if let Some(s) = w.strip_suffix("sses") {
        w = format!("{s}ss");
    } else if let Some(s) = w.strip_suffix('s') {
        w = s.to_string();
    }
    let mut c = w.chars();
    let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('I');
    format!("{first}{} {}", c.as_str(), NAMES[i % NAMES.len()])
}

/// A deterministic GUID for generic item `n` of `key`.
pub fn seed_id(seed: u64, key: &str, n: u64) -> String {
    // FNV-1a over the key, mixed with the seed and the index.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in key.bytes().chain(n.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let l = h.rotate_left(29) ^ n;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        h & 0xFFF,
        l & 0xFFF,
        l >> 16 & 0xFFFF_FFFF_FFFF
    )
}

impl Store {
    /// The items of `key` whose ids start with `parent` (case-insensitive).
    pub fn children<'a>(&'a self, key: &str, parent: &'a [String]) -> Vec<&'a Item> {
        self.slots
            .get(key)
            .map(|s| {
                s.items
                    .iter()
                    .filter(|i| {
                        i.ids.len() > parent.len()
                            && i.ids
                                .iter()
                                .zip(parent)
                                .all(|(a, b)| a.eq_ignore_ascii_case(b))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The item of `key` with exactly `ids` (case-insensitive).
    pub fn find(&self, key: &str, ids: &[String]) -> Option<&Item> {
        self.slots.get(key)?.items.iter().find(|i| {
            i.ids.len() == ids.len()
                && i.ids
                    .iter()
                    .zip(ids)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        })
    }

    /// Removes the item of `key` with `ids`; whether there was one.
    pub fn remove(&mut self, key: &str, ids: &[String]) -> bool {
        let Some(slot) = self.slots.get_mut(key) else {
            return false;
        };
        let before = slot.items.len();
        slot.items.retain(|i| {
            !(i.ids.len() == ids.len()
                && i.ids
                    .iter()
                    .zip(ids)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b)))
        });
        slot.items.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_collections() {
        let t = Template::parse("/agents/jobs/{ID}/includes/{ID}?format=Entity");
        assert_eq!(key_of(&t, 1).as_deref(), Some("/agents/jobs/{}"));
        assert_eq!(
            key_of(&t, 2).as_deref(),
            Some("/agents/jobs/{}/includes/{}")
        );
        assert_eq!(key_of(&t, 3), None);
        assert_eq!(
            collection_path("/agents/jobs/{}/includes/{}", &["j".into()]).as_deref(),
            Some("/agents/jobs/j/includes")
        );
        assert_eq!(collection_path("/agents/jobs/{}/includes/{}", &[]), None);
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(seed_name("/cloud/tenants/{}", 0), "Tenant Contoso");
        assert_eq!(
            seed_name("/cloud/publicIpAddresses/{}", 1),
            "PublicIpAddress Fabrikam"
        );
        let a = seed_id(1, "/cloud/tenants/{}", 0);
        assert_eq!(a.len(), 36);
        assert_ne!(a, seed_id(1, "/cloud/tenants/{}", 1));
        assert_ne!(a, seed_id(2, "/cloud/tenants/{}", 0));
    }

    #[test]
    fn store_finds_children_and_removes() {
        let mut s = Store::default();
        s.slots.insert(
            "/a/{}/b/{}".into(),
            Slot {
                origin: Origin::Generic,
                items: vec![
                    Item {
                        ids: vec!["P".into(), "1".into()],
                        name: "one".into(),
                    },
                    Item {
                        ids: vec!["q".into(), "2".into()],
                        name: "two".into(),
                    },
                ],
            },
        );
        assert_eq!(s.children("/a/{}/b/{}", &["p".into()]).len(), 1);
        assert!(s.find("/a/{}/b/{}", &["q".into(), "2".into()]).is_some());
        assert!(s.remove("/a/{}/b/{}", &["q".into(), "2".into()]));
        assert!(!s.remove("/a/{}/b/{}", &["q".into(), "2".into()]));
    }
}
