//! `#[derive(RedisHash)]`: a struct stored as a Redis hash, one field per struct field.
//!
//! Written once here so that applications do not hand-write the same two conversions for
//! every record type: `HSET key <struct>` sends `field value` pairs, and `HGETALL key`
//! reads the map back into the struct. It lives in its own crate because a derive must be
//! a proc-macro crate; `hardy-redis` re-exports it with its `derive` feature.
//!
//! ```ignore
//! #[derive(hardy_redis::RedisHash)]
//! struct User { name: String, age: u32, email: Option<String> }
//!
//! redis.hset("user:1", &user).await?;
//! let back: User = redis.hgetall("user:1").await?;
//! ```
//!
//! Each field's type must implement `ToArg` and `FromRedis`. An `Option` field is left out
//! of `HSET` when `None` and reads as `None` when the hash lacks it; any other missing
//! field is a conversion error naming it (a missing key reads as an empty hash, so as an
//! error unless every field is optional). Fields are named as in the struct.
#![deny(missing_docs)]

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, Type};

/// Implements `hardy_redis::ToArg` (the fields as `field value` pairs) and
/// `hardy_redis::FromRedis` (from a hash's map) for a struct with named fields.
#[proc_macro_derive(RedisHash)]
pub fn derive_redis_hash(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

fn expand(input: DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => &named.named,
            _ => {
                return Err(syn::Error::new_spanned(
                    name,
                    "RedisHash needs named fields",
                ))
            }
        },
        _ => return Err(syn::Error::new_spanned(name, "RedisHash is for structs")),
    };
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();

    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for field in fields {
        let ident = field.ident.as_ref().expect("named");
        let key = ident.to_string();
        if is_option(&field.ty) {
            writes.push(quote! {
                if let ::std::option::Option::Some(value) = &self.#ident {
                    cmd.push(#key).push(value);
                }
            });
            reads.push(quote! {
                #ident: match fields.remove(#key) {
                    ::std::option::Option::Some(frame) => ::hardy_redis::FromRedis::from_redis(frame)?,
                    ::std::option::Option::None => ::std::option::Option::None,
                }
            });
        } else {
            writes.push(quote! { cmd.push(#key).push(&self.#ident); });
            reads.push(quote! {
                #ident: match fields.remove(#key) {
                    ::std::option::Option::Some(frame) => ::hardy_redis::FromRedis::from_redis(frame)?,
                    ::std::option::Option::None => {
                        return ::std::result::Result::Err(::hardy_redis::TypeError::Mismatch {
                            expected: concat!("a hash with the field `", #key, "`"),
                            got: ::std::string::String::from("a hash without it"),
                        })
                    }
                }
            });
        }
    }

    Ok(quote! {
        impl #impl_generics ::hardy_redis::ToArg for #name #ty_generics #where_clause {
            fn write_args(&self, cmd: &mut ::hardy_redis::Cmd) {
                #(#writes)*
            }
        }

        impl #impl_generics ::hardy_redis::FromRedis for #name #ty_generics #where_clause {
            fn from_redis(
                frame: ::hardy_redis::Frame,
            ) -> ::std::result::Result<Self, ::hardy_redis::TypeError> {
                let mut fields: ::std::collections::HashMap<::std::string::String, ::hardy_redis::Frame> =
                    ::hardy_redis::FromRedis::from_redis(frame)?;
                ::std::result::Result::Ok(#name { #(#reads),* })
            }
        }
    })
}

/// Whether the type is spelled `Option<..>` (or a path ending in it).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|seg| seg.ident == "Option"),
        _ => false,
    }
}
