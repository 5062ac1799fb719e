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
//! error unless every field is optional). Fields are named as in the struct, unless
//! `#[redis(rename = "name")]` says otherwise.
//!
//! The generated code names `::hardy_redis`. An application that depends only on the
//! `hardy` facade says where the crate is with `#[redis(crate = "hardy::redis")]`, as
//! serde's `#[serde(crate = "...")]` does:
//!
//! ```ignore
//! #[derive(hardy::redis::RedisHash)]
//! #[redis(crate = "hardy::redis")]
//! struct User { name: String, #[redis(rename = "e-mail")] email: Option<String> }
//! ```
#![deny(missing_docs)]

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Attribute, Data, DeriveInput, Fields, LitStr, Path, Type};

/// Implements `hardy_redis::ToArg` (the fields as `field value` pairs) and
/// `hardy_redis::FromRedis` (from a hash's map) for a struct with named fields.
///
/// Attributes: `#[redis(crate = "path")]` on the struct names the hardy-redis crate when
/// it is not `::hardy_redis` (e.g. `"hardy::redis"`); `#[redis(rename = "name")]` on a
/// field names its hash field.
#[proc_macro_derive(RedisHash, attributes(redis))]
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
    let krate = crate_path(&input.attrs)?;

    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for field in fields {
        let ident = field.ident.as_ref().expect("named");
        let key = field_name(&field.attrs)?.unwrap_or_else(|| ident.to_string());
        if is_option(&field.ty) {
            writes.push(quote! {
                if let ::std::option::Option::Some(value) = &self.#ident {
                    cmd.push(#key).push(value);
                }
            });
            reads.push(quote! {
                #ident: match fields.remove(#key) {
                    ::std::option::Option::Some(frame) => #krate::FromRedis::from_redis(frame)?,
                    ::std::option::Option::None => ::std::option::Option::None,
                }
            });
        } else {
            writes.push(quote! { cmd.push(#key).push(&self.#ident); });
            reads.push(quote! {
                #ident: match fields.remove(#key) {
                    ::std::option::Option::Some(frame) => #krate::FromRedis::from_redis(frame)?,
                    ::std::option::Option::None => {
                        return ::std::result::Result::Err(#krate::TypeError::Mismatch {
                            expected: concat!("a hash with the field `", #key, "`"),
                            got: ::std::string::String::from("a hash without it"),
                        })
                    }
                }
            });
        }
    }

    Ok(quote! {
        impl #impl_generics #krate::ToArg for #name #ty_generics #where_clause {
            fn write_args(&self, cmd: &mut #krate::Cmd) {
                #(#writes)*
            }
        }

        impl #impl_generics #krate::FromRedis for #name #ty_generics #where_clause {
            fn from_redis(
                frame: #krate::Frame,
            ) -> ::std::result::Result<Self, #krate::TypeError> {
                let mut fields: ::std::collections::HashMap<::std::string::String, #krate::Frame> =
                    #krate::FromRedis::from_redis(frame)?;
                ::std::result::Result::Ok(#name { #(#reads),* })
            }
        }
    })
}

/// The path of the hardy-redis crate: `#[redis(crate = "...")]`, else `::hardy_redis`.
fn crate_path(attrs: &[Attribute]) -> syn::Result<Path> {
    let mut krate: Path = syn::parse_quote!(::hardy_redis);
    for attr in attrs.iter().filter(|a| a.path().is_ident("redis")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                krate = meta.value()?.parse::<LitStr>()?.parse()?;
                Ok(())
            } else {
                Err(meta.error("unknown attribute on the struct; expected `crate = \"path\"`"))
            }
        })?;
    }
    Ok(krate)
}

/// A field's hash field name from `#[redis(rename = "...")]`, if it has one.
fn field_name(attrs: &[Attribute]) -> syn::Result<Option<String>> {
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("redis")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                name = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error("unknown attribute on a field; expected `rename = \"name\"`"))
            }
        })?;
    }
    Ok(name)
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
