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
    let logon_fallback = match &a.logon_fallback {
        Some(f) => quote!(Some(#f)),
        None => quote!(None),
    };
    let (logon_rel, logon_type, ve, va, logoff) = (
        &a.logon_rel,
        &a.logon_type,
        &a.version_element,
        &a.version_attr,
        &a.logoff_rel,
    );
    let task_root = ir
        .type_named(&a.task_type)
        .map_or(a.task_type.as_str(), |t| t.root.as_str());
    let (ts, td, tr, tsu, tm, to, trel) = (
        &a.task_state,
        &a.task_done,
        &a.task_result,
        &a.task_success,
        &a.task_message,
        &a.task_operation,
        &a.task_related,
    );
    let qroot = ir
        .type_named(&a.query_result)
        .map_or(a.query_result.as_str(), |t| t.root.as_str());
    let (qp, qr, qi, qe, qpg, qps) = (
        &a.query_path,
        &a.query_refs,
        &a.query_ref_item,
        &a.query_entities,
        &a.query_paging,
        a.query_page_size,
    );
    let params = &a.query_params;
    let (p_type, p_format, p_entities, p_filter) = (
        &params.type_,
        &params.format,
        &params.entities,
        &params.filter,
    );
    let (p_sort_asc, p_sort_desc, p_page_size, p_page) = (
        &params.sort_asc,
        &params.sort_desc,
        &params.page_size,
        &params.page,
    );
    let pg = &a.paging_attrs;
    let (pa_num, pa_size, pa_count) = (&pg.num, &pg.size, &pg.count);
    let pr = &a.paging_rels;
    let (pr_first, pr_previous, pr_next, pr_last) = (&pr.first, &pr.previous, &pr.next, &pr.last);
    let op_ports = &a.other_product.ports;
    let op_paths = &a.other_product.path_markers;
    let op_headers = &a.other_product.headers;
    let eroot = ir
        .type_named(&a.error_type)
        .map_or(a.error_type.as_str(), |t| t.root.as_str());
    let (em, es, ed) = (&a.error_message, &a.error_status, &a.error_detail);
    let hint = match &a.entry_url {
        Some(u) => quote!(Some(#u)),
        None => quote!(None),
    };
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
                task: __rt::TaskInfo {
                    root: #task_root,
                    state: #ts,
                    done_states: &[#(#td),*],
                    result: #tr,
                    success: #tsu,
                    message: #tm,
                    operation: #to,
                    related_rel: #trel,
                },
                query: __rt::QueryInfo {
                    path: #qp,
                    result_root: #qroot,
                    refs: #qr,
                    ref_item: #qi,
                    entities: #qe,
                    paging: #qpg,
                    default_page_size: #qps,
                    params: __rt::QueryParams {
                        type_: #p_type,
                        format: #p_format,
                        entities: #p_entities,
                        filter: #p_filter,
                        sort_asc: #p_sort_asc,
                        sort_desc: #p_sort_desc,
                        page_size: #p_page_size,
                        page: #p_page,
                    },
                    page_num: #pa_num,
                    page_size: #pa_size,
                    pages_count: #pa_count,
                    rels: __rt::PagingRels {
                        first: #pr_first,
                        previous: #pr_previous,
                        next: #pr_next,
                        last: #pr_last,
                    },
                },
                error: __rt::ErrorInfo {
                    root: #eroot,
                    message: #em,
                    status: #es,
                    detail: #ed,
                },
                other_product: __rt::OtherProduct {
                    ports: &[#(#op_ports),*],
                    path_markers: &[#(#op_paths),*],
                    headers: &[#(#op_headers),*],
                },
            };
        }

        #[doc = #client_doc]
        pub type Client = __rt::Client<Api>;
        #[doc = #session_doc]
        pub type Session = __rt::Session<Api>;
    }
}
