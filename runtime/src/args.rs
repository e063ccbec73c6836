//! Typed query arguments of an operation (`/lookup?host=…&name=…`, `?deleteJobs=true`): the
//! spec's `params` of a link become a generated struct that implements [`QueryArgs`].

/// The query arguments a caller gives an operation, set on the link's URL when it is followed:
/// each argument replaces one of the same name (ASCII case-insensitive) the link already
/// carries, and is escaped as a query value.
pub trait QueryArgs: Sync {
    /// The arguments that are set, as (name as the API writes it, text), in spec order.
    fn pairs(&self) -> Vec<(&'static str, String)>;
}

/// Sets `pairs` on `url`'s query, replacing arguments of the same name.
pub(crate) fn apply(url: &mut url::Url, pairs: &[(&'static str, String)]) {
    if pairs.is_empty() {
        return;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !pairs.iter().any(|(p, _)| p.eq_ignore_ascii_case(k)))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &kept {
        q.append_pair(k, v);
    }
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_replace_their_namesakes_and_are_escaped() {
        let mut url = url::Url::parse("https://em/api/lookup?host=urn:a&Name=old&x=1").unwrap();
        apply(
            &mut url,
            &[("name", "sql 01&type=Host".into()), ("type", "Vm".into())],
        );
        assert_eq!(
            url.as_str(),
            "https://em/api/lookup?host=urn%3Aa&x=1&name=sql+01%26type%3DHost&type=Vm"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("name".into(), "sql 01&type=Host".into())));
        let mut plain = url::Url::parse("https://em/api/jobs/1?action=start").unwrap();
        apply(&mut plain, &[]);
        assert_eq!(plain.as_str(), "https://em/api/jobs/1?action=start");
    }
}
