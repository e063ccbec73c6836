//! `vem query`: the query service over any queryable type of the spec, chosen at run time
//! and decoded as its type.

use std::sync::{Arc, Mutex};

use emrest::runtime::{AnyRepr, Filter, Node};
use futures::TryStreamExt;

/// Where the items of a streamed query go, one at a time; it answers false to stop paging.
#[derive(Clone)]
pub struct Sink(pub Arc<Mutex<dyn FnMut(Node) -> bool + Send>>);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl Sink {
    /// A sink calling `f` for each item.
    pub fn new(f: impl FnMut(Node) -> bool + Send + 'static) -> Sink {
        Sink(Arc::new(Mutex::new(f)))
    }

    fn take(&self, node: Node) -> bool {
        match self.0.lock() {
            Ok(mut f) => f(node),
            // A sink that panicked before cannot take more.
            Err(_) => false,
        }
    }
}

/// Options of a query.
#[derive(Debug, Clone, Default)]
pub struct QueryOpts {
    /// Filter expression in EM's grammar.
    pub filter: Option<String>,
    /// `(ascending, field)`.
    pub sort: Option<(bool, String)>,
    /// Whole entities rather than references.
    pub entities: bool,
    /// Items per page asked from the server.
    pub page_size: Option<u32>,
    /// Stop after this many items.
    pub limit: Option<usize>,
    /// Hand each item to this sink as its page arrives instead of collecting them (the
    /// returned list is then empty).
    pub sink: Option<Sink>,
}

/// Runs a query-service query over the spec type whose query name (or type name) is `name`
/// (ASCII case-insensitive), chosen at run time through the generated client's own type
/// table, and returns the items (decoded as their type, then written back as nodes), or
/// hands them to `o.sink` one by one; `None` when no queryable type has that name.
pub async fn run_query(
    name: &str,
    em: &emrest::Session,
    o: &QueryOpts,
) -> Option<Result<Vec<Node>, emrest::Error>> {
    let entry = emrest::TYPES.iter().find(|t| {
        t.query.is_some_and(|q| q.eq_ignore_ascii_case(name))
            || (t.query.is_some() && t.name.eq_ignore_ascii_case(name))
    })?;
    let mut q = em.query_dyn(entry)?;
    if let Some(f) = &o.filter {
        q = q.filter(Filter::raw(f.clone()));
    }
    if let Some((asc, field)) = &o.sort {
        q = if *asc {
            q.sort_asc(field.clone())
        } else {
            q.sort_desc(field.clone())
        };
    }
    match (o.page_size, o.limit) {
        (Some(n), _) => q = q.page_size(n),
        // A small limit asks for no more than it shows.
        (None, Some(l)) if l < 100 => q = q.page_size(l.max(1) as u32),
        _ => {}
    }
    if o.entities {
        q = q.entities();
    }
    // Without a limit every page is read: ask for the next one while one is decoded.
    if o.limit.is_none() {
        q = q.read_ahead();
    }
    Some(collect(q.stream(), o.limit, o.sink.as_ref()).await)
}

async fn collect(
    stream: impl futures::Stream<Item = Result<Box<dyn AnyRepr>, emrest::Error>>,
    limit: Option<usize>,
    sink: Option<&Sink>,
) -> Result<Vec<Node>, emrest::Error> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let mut n = 0;
    futures::pin_mut!(stream);
    while n < limit {
        match stream.try_next().await? {
            Some(item) => {
                n += 1;
                let node = item.to_tree();
                match sink {
                    Some(s) => {
                        if !s.take(node) {
                            break;
                        }
                    }
                    None => out.push(node),
                }
            }
            None => break,
        }
    }
    Ok(out)
}
