//! Decoding of internally tagged JSON (`{"ev": "ack", "req": 3}`) without serde's buffering.
//!
//! serde's derived decoder for `#[serde(tag = "ev")]` and `#[serde(flatten)]` cannot know
//! where the tag is, so it reads the whole object into its private `Content` type first and
//! then decodes the variant from that: every type inside gets a second copy of its decoding
//! code, for `Content`, and that code was the largest part of serde in the web client (issue
//! 16, BENCHMARKS.md "download size").
//!
//! Our own encoders always write the tag first (serde's derived `Serialize` for an internally
//! tagged enum does, and [`tagged_enum!`] keeps it derived), so the decoders here read the
//! first key, and when it is the expected one, hand the rest of the same object to the
//! variant's derived decoder: one pass, no buffer. JSON with the key elsewhere is still
//! valid and still accepted: hand-written JSON and JSON that went through a
//! `serde_json::Value` (whose maps sort their keys: the tests' JavaScript peer sends
//! `{"ballot": .., "op": "cast", "req": 2, ..}`). Then, and only then, the object is read
//! into `serde_json::Value`s, written again with the keys of [`KeyFirst::ORDER`] first, and
//! decoded from that text with `serde_json::from_slice` ([`reorder`]): a second parse, but
//! through the decoding code the messages' own `from_slice` already has, so it adds no copy
//! of any type's decoder.
//!
//! The derived decoder accepted the same JSON but for two shapes no encoder of ours writes
//! (serde's derived `Serialize` writes an object with one tag): a tag given twice
//! (`{"ev": "ack", "ev": "refused", "req": 1}`) was refused as a duplicate field and is now
//! read as the first one (the second is an unknown field, ignored like any other); and an
//! array, the tag then the fields in order (`["ack", 1]`), was read and is now refused.
//! Errors read as before (`unknown variant`, `missing field`).

use serde::de::value::MapAccessDeserializer;
use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, Error as _, IgnoredAny, MapAccess,
    VariantAccess, Visitor,
};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// A type whose JSON objects start with known keys, in a known order (its encoder's).
pub(crate) trait KeyFirst: DeserializeOwned {
    /// The keys our encoder writes first, in this order: `["ev"]` for an event, `["req",
    /// "op"]` for a request (its number, then its flattened command's tag).
    const ORDER: &'static [&'static str];

    /// Decodes the rest of an object whose first key, `ORDER[0]`, was just read: `map` is
    /// at that key's value.
    fn decode_rest<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// `Deserialize::deserialize` of a [`KeyFirst`] type.
pub(crate) fn deserialize<'de, T: KeyFirst, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(FirstKey::<T>(std::marker::PhantomData))
}

struct FirstKey<T>(std::marker::PhantomData<T>);

impl<'de, T: KeyFirst> Visitor<'de> for FirstKey<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with the field `{}`", T::ORDER[0])
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == T::ORDER[0] => T::decode_rest(map),
            Some(key) => reorder(key, map),
            None => Err(A::Error::missing_field(T::ORDER[0])),
        }
    }
}

/// The slow path: the object did not start with `T::ORDER[0]`. Reads it whole (its first key
/// already read), moves the keys of `T::ORDER` to the front and decodes that text.
fn reorder<'de, T: KeyFirst, A: MapAccess<'de>>(first: String, mut map: A) -> Result<T, A::Error> {
    let mut entries: Vec<(String, Value)> = vec![(first, map.next_value()?)];
    while let Some(entry) = map.next_entry()? {
        entries.push(entry);
    }
    // Without the first key, the text below would take this path again.
    if !entries.iter().any(|(k, _)| k == T::ORDER[0]) {
        return Err(A::Error::missing_field(T::ORDER[0]));
    }
    // Last key of ORDER first, so that ORDER[0] ends up in front. Later duplicates stay
    // where they are: the decoder refuses them as it would have.
    for key in T::ORDER.iter().rev() {
        if let Some(at) = entries.iter().position(|(k, _)| k == key) {
            let entry = entries.remove(at);
            entries.insert(0, entry);
        }
    }
    let json = serde_json::to_vec(&InOrder(&entries)).map_err(A::Error::custom)?;
    serde_json::from_slice(&json).map_err(A::Error::custom)
}

/// An object's entries, written in the order given (a `serde_json::Map` would sort them).
struct InOrder<'a>(&'a [(String, Value)]);

impl Serialize for InOrder<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Decodes an internally tagged enum with its derived *externally* tagged decoder (the
/// mirror [`tagged_enum!`] makes), fed from the object whose tag key was just read: the
/// tag's value names the variant, and the rest of the object is the variant's fields.
pub(crate) struct Variant<A>(pub(crate) A);

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Variant<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Variant<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        mut self,
        seed: S,
    ) -> Result<(S::Value, Self), A::Error> {
        // The tag's value is the variant's name.
        let variant = self.0.next_value_seed(seed)?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    fn unit_variant(mut self) -> Result<(), A::Error> {
        // As serde's internally tagged unit variants: other fields are ignored.
        while self.0.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.0))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(A::Error::custom(
            "a tuple variant cannot be internally tagged",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.0)
    }
}

/// An internally tagged enum (`#[serde(tag = ..., rename_all = ...)]`) with a derived
/// `Serialize` (the tag first, as before) and a `Deserialize` without serde's buffering,
/// through [`KeyFirst`]. Write the enum inside, its serde attribute first:
///
/// ```ignore
/// tagged_enum! {
///     #[serde(tag = "ev", rename_all = "snake_case")]
///     /// The server's messages.
///     #[derive(Debug, Clone, PartialEq, Serialize)]
///     pub enum Event { Ack { req: u64 }, Clock { now: u64 } }
/// }
/// ```
///
/// Besides the enum, it makes a private mirror of it with serde's *externally* tagged
/// decoder (`#[serde(remote)]`, so the mirror's decoder builds the real enum), which
/// [`Variant`] feeds with the tag's value and the rest of the object. Variants are unit,
/// struct or newtype (of a struct), as serde allows for internally tagged enums.
macro_rules! tagged_enum {
    (
        #[serde(tag = $tag:literal, rename_all = $rename:literal)]
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $($body:tt)* }
    ) => {
        $(#[$meta])*
        #[serde(tag = $tag, rename_all = $rename)]
        $vis enum $name { $($body)* }

        const _: () = {
            // `remote` takes a path in a string; an alias gives it one.
            type Remote = $name;

            #[derive(serde::Deserialize)]
            #[serde(remote = "Remote", rename_all = $rename)]
            #[allow(dead_code, clippy::large_enum_variant)]
            enum Mirror { $($body)* }

            impl $crate::tagged::KeyFirst for $name {
                const ORDER: &'static [&'static str] = &[$tag];

                fn decode_rest<'de, A: serde::de::MapAccess<'de>>(
                    map: A,
                ) -> Result<Self, A::Error> {
                    Mirror::deserialize($crate::tagged::Variant(map))
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    $crate::tagged::deserialize(d)
                }
            }

            // What serde derived before, for the tests to compare with.
            #[cfg(test)]
            #[derive(serde::Deserialize)]
            #[serde(remote = "Remote", tag = $tag, rename_all = $rename)]
            #[allow(dead_code, clippy::large_enum_variant)]
            enum Reference { $($body)* }

            #[cfg(test)]
            impl $crate::tagged::tests::Derived for $name {
                fn derived<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    Reference::deserialize(d)
                }
            }
        };
    };
}

pub(crate) use tagged_enum;

/// A request of rounds, facilitation or comments: `{"req": 3, "op": "hello", ...}`, its
/// number and then its command (an internally tagged enum, flattened into the same object).
/// Defines `pub struct $request { req: u64, cmd: $command }`, its derived `Serialize` and a
/// `Deserialize` without serde's buffering of `flatten`.
macro_rules! numbered_request {
    ($request:ident, $command:ident) => {
        /// A page's request: a number the answer repeats, and what it asks.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $request {
            pub req: u64,
            #[serde(flatten)]
            pub cmd: $command,
        }

        impl $crate::tagged::KeyFirst for $request {
            const ORDER: &'static [&'static str] = &["req", "op"];

            fn decode_rest<'de, A: serde::de::MapAccess<'de>>(
                mut map: A,
            ) -> Result<Self, A::Error> {
                let req = map.next_value()?;
                let cmd = <$command as serde::Deserialize>::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok($request { req, cmd })
            }
        }

        impl<'de> serde::Deserialize<'de> for $request {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::tagged::deserialize(d)
            }
        }

        // What serde derived before (`flatten`, the command decoded as before too), for the
        // tests to compare with.
        #[cfg(test)]
        const _: () = {
            #[derive(serde::Deserialize)]
            struct Reference {
                req: u64,
                #[serde(flatten)]
                cmd: $crate::tagged::tests::Ref<$command>,
            }

            impl $crate::tagged::tests::Derived for $request {
                fn derived<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let r = <Reference as serde::Deserialize>::deserialize(d)?;
                    Ok($request {
                        req: r.req,
                        cmd: r.cmd.0,
                    })
                }
            }
        };
    };
}

pub(crate) use numbered_request;

#[cfg(test)]
pub(crate) mod tests;
