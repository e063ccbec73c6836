// With a broken spec, the types still exist as stubs: code naming them gets no extra errors.
mod api {
    emrest_macros::generate_client!("specs/unknown_field_type.toml");
}

fn takes(_: api::Home, _: api::Spec, _: Option<api::Session>) {}

fn main() {}
