//! Property tests of the spec loader: no input makes it panic, and every error it reports
//! carries a location inside the file.

use proptest::prelude::*;

const LIBRARY: &str = include_str!("fixtures/library.toml");

fn check_no_panic(src: &str) {
    match emrest_codegen::load_str(src, "p.toml") {
        Ok(ir) => {
            // A spec that loads also generates.
            let _ = emrest_codegen::generate_file(&ir, &Default::default());
        }
        Err(d) => {
            assert!(!d.items.is_empty());
            for item in &d.items {
                let text = d.render_one(item);
                assert!(text.starts_with("p.toml:"), "{text}");
                assert!(item.span.start <= src.len(), "span inside the source");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,400}") {
        check_no_panic(&src);
    }

    #[test]
    fn toml_like_text_never_panics(src in "(\\[[a-z.]{1,12}\\]\n|[a-z_]{1,8} = (\"[A-Za-z ]{0,8}\"|[0-9]{1,3}|true|\\[\\]|\\{ *\\})\n){0,20}") {
        check_no_panic(&src);
    }

    #[test]
    fn mutated_specs_never_panic(at in 0usize..4000, cut in 0usize..40, insert in "[\\[\\]{}=\",a-zA-Z0-9 \n]{0,6}") {
        let at = (at % LIBRARY.len()).min(LIBRARY.len());
        let at = (0..=at).rev().find(|&i| LIBRARY.is_char_boundary(i)).unwrap_or(0);
        let end = (at + cut).min(LIBRARY.len());
        let end = (end..=LIBRARY.len()).find(|&i| LIBRARY.is_char_boundary(i)).unwrap_or(LIBRARY.len());
        let mutated = format!("{}{}{}", &LIBRARY[..at], insert, &LIBRARY[end..]);
        check_no_panic(&mutated);
    }
}
