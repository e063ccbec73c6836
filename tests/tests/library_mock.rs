//! The library fixture spec's generated client at run time against em-sim's generic mock of
//! the same spec, over loopback HTTP. The library's conventions differ from EM's on purpose
//! (lower-case link attributes `rel`/`href`/`title`/`type`, actions addressed by path
//! `/books/{ID}/action/borrow`, the task state in an attribute `<Job status="Done">`), so
//! every step here fails if the client still used one of EM's conventions.

#[allow(clippy::all, dead_code)]
mod library {
    emrest_macros::generate_client!("../codegen/tests/fixtures/library.toml");
}

use futures::TryStreamExt;
use library::{BorrowSpec, Client, Job, SessionOps};

const SPEC: &str = include_str!("../../codegen/tests/fixtures/library.toml");

async fn mock() -> emrest_sim::mock::MockHandle {
    emrest_sim::mock::spawn_mock(SPEC, "library.toml", Default::default())
        .await
        .expect("the library spec serves")
}

async fn logon(m: &emrest_sim::mock::MockHandle) -> library::Session {
    Client::builder(m.url())
        .build()
        .expect("client")
        .logon("user", "secret")
        .await
        .expect("logon with the mock's user")
}

#[tokio::test]
async fn logon_links_action_task_edit_and_paging_in_the_librarys_conventions() {
    let m = mock().await;
    let em = logon(&m).await;

    // The logon session's links, read with the library's lower-case attributes.
    let rels: Vec<String> = em.links().iter().map(|l| l.rel.to_string()).collect();
    assert!(rels.contains(&"Down".to_string()), "{rels:?}");

    // Link lookup: the session's `Down` link of type `BookList` (a `type` attribute).
    let books = em.books().await.expect("books");
    assert_eq!(books.book.len(), 3, "three seeded books");
    let book = &books.book[0];
    assert!(book
        .href
        .as_deref()
        .is_some_and(|h| h.ends_with("/books/book-1")));

    // An action addressed by path, with a body; its answer is a task whose state is an
    // attribute, polled to `Done`, and whose `Affects` link leads back to the book.
    let task: Job = book
        .borrow(
            &em,
            &BorrowSpec {
                member: "ann".into(),
                days: Some(7),
                ..Default::default()
            },
        )
        .await
        .expect("borrow");
    let done = task.wait(&em).await.expect("the task finishes");
    assert_eq!(done.status, library::JobStatus::Done);
    let got = m.received();
    let sent = got
        .iter()
        .find(|r| r.method == "POST")
        .expect("the mock received the action");
    assert_eq!(sent.target, "/books/book-1/action/borrow");
    assert!(sent.body.contains("<Member>ann</Member>"), "{}", sent.body);
    let affected = done.book(&em).await.expect("the task's Affects link");
    assert_eq!(affected.href, book.href);

    // An edit: the body is the book with a new title; the mock stores it.
    let mut edited = book.clone();
    edited.title = "A new title".into();
    book.edit(&em, &edited).await.expect("edit");
    let stored = m.resource("/books/book-1").expect("book-1 is stored");
    assert_eq!(
        stored.child("Title").and_then(|t| t.text.as_deref()),
        Some("A new title")
    );
    let put = m
        .received()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("PUT");
    assert_eq!(put.target, "/books/book-1/action/edit");
    // The book's links go back in the library's link form, not EM's.
    assert!(
        put.body.contains("<link rel=\"Up\" href=\""),
        "{}",
        put.body
    );
    assert!(
        !put.body.contains("Rel=") && !put.body.contains("<Link "),
        "{}",
        put.body
    );

    // Paging: two entities per page, three books, followed by the library's paging links.
    let all: Vec<library::Book> = em
        .query::<library::Book>()
        .entities()
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .expect("query pages");
    assert_eq!(all.len(), 3);
    let pages: Vec<String> = m
        .received()
        .into_iter()
        .filter(|r| r.target.starts_with("/search"))
        .map(|r| r.target)
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(
        pages[0].contains("kind=Book") && pages[0].contains("per_page=2"),
        "{pages:?}"
    );
    assert!(pages[1].contains("page=2"), "{pages:?}");

    // References page too, and a filter in the spec's parameter.
    let refs: Vec<library::Ref> = em
        .query::<library::Book>()
        .filter(library::Book::TITLE.eq("Title 2".to_string()))
        .stream()
        .try_collect()
        .await
        .expect("filtered query");
    assert_eq!(refs.len(), 1);
    assert!(refs[0]
        .href
        .as_deref()
        .is_some_and(|h| h.ends_with("/books/book-2")));
}

#[tokio::test]
async fn a_task_in_a_failure_state_is_a_failure() {
    let config = emrest_sim::mock::MockConfig {
        failing: vec!["give_back".into()],
        ..Default::default()
    };
    let m = emrest_sim::mock::spawn_mock(SPEC, "library.toml", config)
        .await
        .unwrap();
    let em = logon(&m).await;
    let books = em.books().await.unwrap();
    let task = books.book[0]
        .give_back(&em)
        .await
        .expect("the action is accepted");
    assert_eq!(task.status, library::JobStatus::Failed);
    let bounded =
        emrest_runtime::WaitOptions::default().with_deadline(std::time::Duration::from_secs(3));
    match emrest_runtime::wait_task_with(&em, &task, bounded).await {
        Err(emrest_runtime::Error::TaskFailed { operation, message }) => {
            assert_eq!(operation, "give_back");
            assert!(message.contains("give_back failed"), "{message}");
        }
        other => panic!("a failed task must not succeed: {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_and_a_removal() {
    let m = mock().await;
    let err = Client::builder(m.url())
        .build()
        .unwrap()
        .logon("user", "wrong")
        .await
        .unwrap_err();
    assert!(
        matches!(err, emrest_runtime::Error::LogonRefused { status: 401, .. }),
        "{err}"
    );
    // Deleting answers a task; the book is gone afterwards.
    let em = logon(&m).await;
    let books = em.books().await.unwrap();
    let task = books.book[2].remove(&em).await.expect("remove");
    task.wait(&em).await.expect("the removal finishes");
    assert!(m.resource("/books/book-3").is_none());
    assert_eq!(em.books().await.unwrap().book.len(), 2);
}
