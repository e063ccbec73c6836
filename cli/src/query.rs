//! `vem query`: the query service over any queryable type of the spec, typed per type.

use emrest::runtime::{Filter, Node, Queryable, Repr};
use futures::TryStreamExt;

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
}

/// Runs the query over `T` and returns the items (typed-decoded, then written back as nodes).
pub async fn run<T>(em: &emrest::Session, o: &QueryOpts) -> Result<Vec<Node>, emrest::Error>
where
    T: Queryable + Send + 'static,
{
    let mut q = em.query::<T>();
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
    if let Some(n) = o.page_size {
        q = q.page_size(n);
    }
    if o.entities {
        collect(q.entities().stream(), o.limit).await
    } else {
        collect(q.stream(), o.limit).await
    }
}

async fn collect<I: Repr>(
    stream: impl futures::Stream<Item = Result<I, emrest::Error>>,
    limit: Option<usize>,
) -> Result<Vec<Node>, emrest::Error> {
    let limit = limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    futures::pin_mut!(stream);
    while out.len() < limit {
        match stream.try_next().await? {
            Some(item) => out.push(emrest::runtime::to_node(&item, I::ROOT)),
            None => break,
        }
    }
    Ok(out)
}
