//! The API's own items: its `ApiInfo` (the spec's `[api]`), the operation table, the type
//! table and the `SessionOps` trait's session.

#[allow(unused_imports)]
use super::*;

pub(super) fn api_items(ir: &Ir) -> TokenStream {
    let a = &ir.api;
    let title = &a.title;
    let ns = &a.namespace;
    let header = &a.session_header;
    let versions = &a.versions;
    let logon = &a.logon;
    let (logon_rel, logon_type, ve, va) = (
        &logon.rel,
        &logon.type_,
        &logon.version_element,
        &logon.version_attr,
    );
    let logon_fallback = opt_str(logon.fallback.as_deref());
    let logoff = &a.logoff_rel;
    let task = task_info(ir);
    let query = query_info(ir);
    let error = error_info(ir);
    let other = other_product(&a.other_product);
    let hint = opt_str(a.entry_url.as_deref());
    let links = link_def(&a.links);
    let own_links = own_links(ir);
    let link_names = link_names(ir);
    let slots = (link_names.len() * 2).next_power_of_two().max(2);
    let link_names = link_names.join(" ");
    let actions = match &a.actions {
        ActionsIr::Query(k) => quote!(__rt::ActionStyle::Query(#k)),
        ActionsIr::Path(p) => quote!(__rt::ActionStyle::Path(#p)),
    };
    let (media_xml, media_json) = (&a.media.xml, &a.media.json);
    let json_text = &a.json_text;
    let media_versions = a.media_versions.iter().map(|(v, m)| {
        let (x, j) = (&m.xml, &m.json);
        quote!((#v, __rt::MediaTypes { xml: #x, json: #j }))
    });
    let statuses = &logon.statuses;
    let url_element = opt_str(logon.url_element.as_deref());
    let doc = format!(" Marker of the {title}: ties clients and sessions to this spec.");
    let client_doc = format!(" A client of the {title}.");
    let session_doc = format!(" A logged-on session of the {title}.");
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct Api;

        impl __rt::Api for Api {
            const ENTRY_URL_HINT: Option<&'static str> = #hint;
            const INFO: &'static __rt::ApiInfo = &__rt::ApiInfo {
                title: #title,
                namespace: #ns,
                session_header: #header,
                versions: &[#(#versions),*],
                logon_rel: #logon_rel,
                logon_type: #logon_type,
                logon_fallback: #logon_fallback,
                version_element: #ve,
                version_attr: #va,
                logoff_rel: #logoff,
                task: #task,
                query: #query,
                error: #error,
                other_product: #other,
                links: Api::LINKS,
                own_links: #own_links,
                actions: #actions,
                media: __rt::MediaTypes { xml: #media_xml, json: #media_json },
                media_versions: &[#(#media_versions),*],
                json_text: #json_text,
                logon_statuses: &[#(#statuses),*],
                logon_url_element: #url_element,
            };
        }

        impl Api {
            /// The relations and type names links carry, sorted and separated by spaces: a
            /// decoded link's `rel` or `type_` equal to one of them borrows it.
            #[doc(hidden)]
            pub const LINK_NAMES: &'static str = #link_names;
            /// How the API writes its links (`[api.links]`), with [`Api::LINK_NAME_SET`].
            #[doc(hidden)]
            pub const LINKS: __rt::LinkDef = #links;
            const LINK_NAME_SLOTS: [u32; #slots] = __rt::name_slots::<#slots>(Self::LINK_NAMES);
            /// [`Api::LINK_NAMES`] with its hash index, built by the compiler.
            #[doc(hidden)]
            pub const LINK_NAME_SET: __rt::Names =
                __rt::Names::new(Self::LINK_NAMES, &Self::LINK_NAME_SLOTS);
        }

        #[doc = #client_doc]
        pub type Client = __rt::Client<Api>;
        #[doc = #session_doc]
        pub type Session = __rt::Session<Api>;
    }
}

/// The link form of each representation the runtime reads as a tree (its `OwnLinks`).
fn own_links(ir: &Ir) -> TokenStream {
    let a = &ir.api;
    let field_type = |owner: &str, field: &str| -> Option<String> {
        let f = ir
            .type_named(owner)?
            .fields
            .iter()
            .find(|f| f.xml.eq_ignore_ascii_case(field))?;
        match &f.ty {
            Ty::Type(x) => Some(x.clone()),
            _ => None,
        }
    };
    let version = field_type(&a.entry, &a.logon.version_element);
    let paging = match a.query.shape {
        crate::spec::QueryShape::Flat => Some(a.query.result.clone()),
        crate::spec::QueryShape::Nested => field_type(&a.query.result, &a.query.paging),
    };
    // The API's link form (`Api::LINKS`), with the wrapper the type itself declares.
    let of = |name: Option<&str>| {
        let wrapper = name
            .and_then(|n| ir.type_named(n))
            .and_then(|t| t.links_field())
            .map(|f| matches!(f.shape, Shape::Single).then(|| f.xml.clone()));
        match wrapper {
            Some(w) if w != a.links.wrapper => {
                let w = opt_str(w.as_deref());
                quote!(Api::LINKS.with_wrapper(#w))
            }
            _ => quote!(Api::LINKS),
        }
    };
    let (entry, version, session) = (
        of(Some(&a.entry)),
        of(version.as_deref()),
        of(Some(&a.session)),
    );
    let (task, paging) = (of(Some(&a.task.type_)), of(paging.as_deref()));
    quote! {
        __rt::OwnLinks { entry: #entry, version: #version, session: #session, task: #task, paging: #paging }
    }
}

/// The runtime's `LinkDef` of `[api.links]`.
pub(super) fn link_def(l: &crate::spec::LinksSpec) -> TokenStream {
    let wrapper = opt_str(l.wrapper.as_deref());
    let (e, rel, href, name, ty) = (&l.element, &l.rel, &l.href, &l.name, &l.type_);
    quote!(__rt::LinkDef::new(#wrapper, #e, #rel, #href, #name, #ty).with_names(Api::LINK_NAME_SET))
}

/// What a link's relation or type usually is: every operation's relation and link type,
/// the API's own relations, the spec's `[api.links] names`, and every type's name and
/// root; sorted, each once.
pub(crate) fn link_names(ir: &Ir) -> Vec<String> {
    let a = &ir.api;
    let mut names: Vec<String> = [&a.logon.rel, &a.logoff_rel]
        .into_iter()
        .chain(&a.links.names)
        .cloned()
        .collect();
    for t in &ir.types {
        names.push(t.name.clone());
        names.push(t.root.clone());
        for op in &t.ops {
            names.push(op.rel.clone());
            names.extend(op.link_type.iter().cloned());
        }
    }
    // What the table cannot hold (it is space-separated, its lengths one byte) is left to
    // allocate.
    names.retain(|n| !n.is_empty() && n.len() < 256 && !n.contains(' '));
    names.sort();
    names.dedup();
    names
}

/// `Some("…")` or `None`.
fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// The XML root of spec type `name` (its name when the spec does not have it).
fn root_of<'a>(ir: &'a Ir, name: &'a str) -> &'a str {
    ir.type_named(name).map_or(name, |t| t.root.as_str())
}

/// The runtime's `TaskInfo` of `[api.task]`.
fn task_info(ir: &Ir) -> TokenStream {
    let t = &ir.api.task;
    let root = root_of(ir, &t.type_);
    let (state, done, result, success) = (&t.state, &t.done, &t.result, &t.success);
    let (message, operation, related) = (&t.message, &t.operation, &t.related);
    let failed = &t.failed;
    let related_element = opt_str(t.related_element.as_deref());
    let vanished = match t.vanished {
        crate::spec::VanishedSpec::Lost => quote!(__rt::Vanished::Lost),
        crate::spec::VanishedSpec::Done => quote!(__rt::Vanished::Done),
    };
    quote! {
        __rt::TaskInfo {
            root: #root,
            state: #state,
            done_states: &[#(#done),*],
            result: #result,
            success: #success,
            message: #message,
            operation: #operation,
            related_rel: #related,
            failed_states: &[#(#failed),*],
            vanished: #vanished,
            related_element: #related_element,
        }
    }
}

/// The runtime's `QueryInfo` of `[api.query]`.
fn query_info(ir: &Ir) -> TokenStream {
    let q = &ir.api.query;
    let root = root_of(ir, &q.result);
    let (path, refs, ref_item, entities, paging) =
        (&q.path, &q.refs, &q.ref_item, &q.entities, &q.paging);
    let page_size = q.page_size;
    let p = &q.params;
    let (p_type, p_format, p_entities, p_filter) = (&p.type_, &p.format, &p.entities, &p.filter);
    let (p_asc, p_desc, p_size, p_page) = (&p.sort_asc, &p.sort_desc, &p.page_size, &p.page);
    let (num, size, count) = (
        &q.paging_attrs.num,
        &q.paging_attrs.size,
        &q.paging_attrs.count,
    );
    let r = &q.paging_rels;
    let (first, previous, next, last) = (&r.first, &r.previous, &r.next, &r.last);
    let flat = q.shape == crate::spec::QueryShape::Flat;
    let f = &q.filter;
    let (f_eq, f_ne, f_lt, f_le, f_gt, f_ge) = (&f.eq, &f.ne, &f.lt, &f.le, &f.gt, &f.ge);
    let (f_and, f_or, f_open, f_close, f_quote) = (&f.and, &f.or, &f.open, &f.close, &f.quote);
    let f_utc = f.times == crate::spec::FilterTimes::Utc;
    let records = q.paging_count == crate::spec::PagingCount::Records;
    quote! {
        __rt::QueryInfo {
            path: #path,
            result_root: #root,
            refs: #refs,
            ref_item: #ref_item,
            entities: #entities,
            paging: #paging,
            default_page_size: #page_size,
            params: __rt::QueryParams {
                type_: #p_type,
                format: #p_format,
                entities: #p_entities,
                filter: #p_filter,
                sort_asc: #p_asc,
                sort_desc: #p_desc,
                page_size: #p_size,
                page: #p_page,
            },
            page_num: #num,
            page_size: #size,
            pages_count: #count,
            rels: __rt::PagingRels {
                first: #first,
                previous: #previous,
                next: #next,
                last: #last,
            },
            flat: #flat,
            count_is_records: #records,
            filter: __rt::FilterGrammar {
                eq: #f_eq, ne: #f_ne, lt: #f_lt, le: #f_le, gt: #f_gt, ge: #f_ge,
                and: #f_and, or: #f_or, open: #f_open, close: #f_close, quote: #f_quote,
                utc_times: #f_utc,
            },
        }
    }
}

/// The runtime's `ErrorInfo` of `[api.error]`.
fn error_info(ir: &Ir) -> TokenStream {
    let e = &ir.api.error;
    let root = root_of(ir, &e.type_);
    let (message, status, detail) = (&e.message, &e.status, &e.detail);
    quote! {
        __rt::ErrorInfo { root: #root, message: #message, status: #status, detail: #detail }
    }
}

/// The runtime's `OtherProduct` of `[api.other_product]`.
fn other_product(o: &crate::spec::OtherProductSpec) -> TokenStream {
    let (ports, paths, headers) = (&o.ports, &o.path_markers, &o.headers);
    quote! {
        __rt::OtherProduct {
            ports: &[#(#ports),*],
            path_markers: &[#(#paths),*],
            headers: &[#(#headers),*],
        }
    }
}
