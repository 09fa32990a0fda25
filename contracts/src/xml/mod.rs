//! The XML layer: typed, namespace-aware reading and writing of RIV-TA messages.
//!
//! Message types are declared with [`xml_struct!`](crate::xml_struct) and
//! [`xml_enum!`](crate::xml_enum). Each declaration lists its child elements in schema
//! order with their cardinality (`one`, `opt`, `many`, `many1`), and the namespace the
//! children are in. Reading then checks, like an XSD validator does for a sequence:
//! every element's namespace, the order, required elements, duplicates, and the simple
//! types' value rules. Elements in a foreign namespace are skipped, as the contracts'
//! `<xs:any namespace="##other" processContents="lax"/>` extension points allow.
//!
//! Namespaces. RIV-TA types are declared in a domain's core schema (for example
//! `urn:riv:clinicalprocess:healthcond:description:2`) and their children are in that
//! namespace; the same shapes (CVType, IIType, PersonIdType...) recur in every domain
//! under its own namespace. So a type's children are either in a fixed namespace, or in
//! the *domain namespace* handed down from the message root (`in ctx`). This lets one
//! Rust type serve every domain that declares the same shape.

mod error;
mod reader;
mod simple;
mod writer;

pub use error::XmlError;
pub(crate) use reader::resolve_reference;
pub use reader::{MAX_DEPTH, XmlReader};
pub use simple::{Base64Binary, Decimal};
pub use writer::{ScopeMark, XmlWriter, escape_into};

/// The domain namespace handed down to types declared `in ctx`.
pub type Ctx = &'static str;

/// A type that is the content of an XML element (complex or simple).
pub trait XmlType: Sized {
    /// Reads the content of the element the reader stands on, through its end tag.
    /// `element` is the element's local name, for error messages.
    fn read_content(
        reader: &mut XmlReader<'_>,
        element: &'static str,
        ctx: Ctx,
    ) -> Result<Self, XmlError>;

    /// Adds the local names of every element this type may contain, directly or
    /// deeper, to `names` (used by tests to prove a golden message covers the schema).
    /// `seen` holds the (Rust) types already visited.
    fn element_names(
        _names: &mut std::collections::BTreeSet<&'static str>,
        _seen: &mut std::collections::BTreeSet<&'static str>,
    ) {
    }

    /// Writes the content (children or text) of an element of this type.
    fn write_content(&self, writer: &mut XmlWriter, ctx: Ctx);

    /// Writes the whole element `{ns}local` with this content.
    #[inline]
    fn write_element(
        &self,
        writer: &mut XmlWriter,
        ns: &'static str,
        local: &'static str,
        ctx: Ctx,
    ) {
        writer.start(ns, local);
        self.write_content(writer, ctx);
        writer.end(ns, local);
    }
}

/// The element type inside an `Option` or `Vec` field.
pub trait Repeated {
    /// The element type.
    type Item;
}

impl<T> Repeated for Option<T> {
    type Item = T;
}

impl<T> Repeated for Vec<T> {
    type Item = T;
}

/// A simple type: text content with a lexical form.
pub trait XmlText: Sized {
    /// Parses the lexical form; the error explains what was expected (without echoing
    /// the value, which may be personal data).
    fn from_xml_text(text: &str) -> Result<Self, String>;

    /// Appends the lexical form, escaped, to `out`.
    fn write_xml_text(&self, out: &mut String);
}

impl<T: XmlText> XmlType for T {
    #[inline]
    fn read_content(
        reader: &mut XmlReader<'_>,
        element: &'static str,
        _ctx: Ctx,
    ) -> Result<Self, XmlError> {
        let text = reader.read_text(element)?;
        T::from_xml_text(&text).map_err(|reason| XmlError::invalid(element, reason))
    }

    #[inline]
    fn write_content(&self, writer: &mut XmlWriter, _ctx: Ctx) {
        self.write_xml_text(writer.buffer());
    }
}

/// A type that can be the root of a message (a request, a response, a header block).
pub trait XmlRoot: XmlType {
    /// Namespace of the root element.
    const NS: &'static str;
    /// Local name of the root element.
    const NAME: &'static str;
    /// Domain namespace handed to the types inside.
    const CTX: Ctx;
    /// `(prefix, namespace)` declarations written on the root element.
    const PREFIXES: &'static [(&'static str, &'static str)];

    /// Reads the element the reader stands on, which has been checked to be
    /// `{NS}NAME`.
    fn read_root(reader: &mut XmlReader<'_>) -> Result<Self, XmlError> {
        Self::read_content(reader, Self::NAME, Self::CTX)
    }

    /// Writes the root element with its namespace declarations.
    fn write_root(&self, writer: &mut XmlWriter) {
        let mark = writer.start_with_declarations(Self::NS, Self::NAME, Self::PREFIXES);
        self.write_content(writer, Self::CTX);
        writer.end_scope(Self::NS, Self::NAME, mark);
    }
}

/// Reads a standalone document whose root element is `T`.
pub fn from_document<T: XmlRoot>(input: &[u8]) -> Result<T, XmlError> {
    let mut reader = XmlReader::new(input);
    if !reader.root()? {
        return Err(XmlError::UnexpectedEof);
    }
    check_element(&reader, T::NS, T::NAME)?;
    let value = T::read_root(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// Writes `value` as a standalone document with an XML declaration.
pub fn to_document<T: XmlRoot>(value: &T) -> String {
    let mut writer = XmlWriter::with_capacity(4096);
    writer.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    value.write_root(&mut writer);
    writer.into_string()
}

/// Checks that the reader stands on `{ns}local`, telling a namespace mismatch apart
/// from a different element.
pub fn check_element(reader: &XmlReader<'_>, ns: &str, local: &str) -> Result<(), XmlError> {
    if reader.is(ns, local) {
        Ok(())
    } else if reader.local() == local {
        Err(XmlError::WrongNamespace {
            local: local.to_owned(),
            expected: ns.to_owned(),
            found: reader.ns().to_owned(),
        })
    } else {
        Err(XmlError::UnexpectedRoot {
            expected: format!("{{{ns}}}{local}"),
            found: reader.qualified_name(),
        })
    }
}

/// Declares a struct for an XSD complex type (a sequence of elements).
///
/// ```ignore
/// xml_struct! {
///     /// A coded value.
///     pub struct Cv("CVType") in ctx {
///         pub code: Option<String> = opt "code",
///         pub original_text: Option<String> = opt "originalText",
///     }
/// }
/// ```
///
/// `in ctx` puts the children in the domain namespace handed down; `in (EXPR)` in a
/// fixed namespace, and `in (EXPR) with (CTX)` also sets the domain namespace for the
/// types inside (used by request/response roots). Cardinalities: `one` (field `T`),
/// `opt` (`Option<T>`), `many` (`Vec<T>`, 0..n), `many1` (`Vec<T>`, 1..n). A field
/// declared in another schema (a global element referenced with `ref=`) takes its own
/// namespace: `= many "relation" in (EXT_NS)`.
#[macro_export]
macro_rules! xml_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ($xsd:literal) in ctx {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty = $kind:ident $xml:literal $(in ($fns:expr))? ),* $(,)?
        }
    ) => {
        $crate::xml_struct!(@impl [$(#[$meta])*] $vis $name $xsd [|ctx: $crate::xml::Ctx| ctx] [|ctx: $crate::xml::Ctx| ctx]
            { $( [$(#[$fmeta])*] $fvis $field : $fty = $kind $xml [$($fns)?] ),* });
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ($xsd:literal) in ($ns:expr) with ($inner:expr) {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty = $kind:ident $xml:literal $(in ($fns:expr))? ),* $(,)?
        }
    ) => {
        $crate::xml_struct!(@impl [$(#[$meta])*] $vis $name $xsd [|_ctx: $crate::xml::Ctx| $ns] [|_ctx: $crate::xml::Ctx| $inner]
            { $( [$(#[$fmeta])*] $fvis $field : $fty = $kind $xml [$($fns)?] ),* });
    };
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ($xsd:literal) in ($ns:expr) {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $fty:ty = $kind:ident $xml:literal $(in ($fns:expr))? ),* $(,)?
        }
    ) => {
        $crate::xml_struct!(@impl [$(#[$meta])*] $vis $name $xsd [|_ctx: $crate::xml::Ctx| $ns] [|ctx: $crate::xml::Ctx| ctx]
            { $( [$(#[$fmeta])*] $fvis $field : $fty = $kind $xml [$($fns)?] ),* });
    };
    (@impl [$($meta:tt)*] $vis:vis $name:ident $xsd:literal [$ns_of:expr] [$inner_of:expr]
        { $( [$($fmeta:tt)*] $fvis:vis $field:ident : $fty:ty = $kind:ident $xml:literal [$($fns:expr)?] ),* }
    ) => {
        $($meta)*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $( $($fmeta)* $fvis $field: $fty, )*
        }

        impl $crate::xml::XmlType for $name {
            #[allow(unused_assignments, unused_mut, unused_variables, clippy::redundant_closure_call)]
            fn read_content(
                reader: &mut $crate::xml::XmlReader<'_>,
                _element: &'static str,
                ctx: $crate::xml::Ctx,
            ) -> ::std::result::Result<Self, $crate::xml::XmlError> {
                let ns: &'static str = ($ns_of)(ctx);
                let inner: $crate::xml::Ctx = ($inner_of)(ctx);
                $( let mut $field = $crate::xml_struct!(@slot $kind $fty); )*
                let mut pos: usize = 0;
                'children: while reader.next_child($xsd)? {
                    let mut idx: usize = 0;
                    $(
                        if reader.is($crate::xml_struct!(@ns ns $($fns)?), $xml) {
                            if idx < pos {
                                return Err($crate::xml::XmlError::OutOfOrder {
                                    parent: $xsd, element: $xml, position: reader.position(),
                                });
                            }
                            pos = idx;
                            $crate::xml_struct!(@accept $kind $field reader $xsd $xml inner);
                            continue 'children;
                        }
                        idx += 1;
                    )*
                    $(
                        if reader.local() == $xml {
                            // The right element in the wrong namespace: say so, rather
                            // than skipping it as an extension and reporting it missing.
                            return Err($crate::xml::XmlError::WrongNamespace {
                                local: reader.local().to_owned(),
                                expected: $crate::xml_struct!(@ns ns $($fns)?).to_owned(),
                                found: reader.ns().to_owned(),
                            });
                        }
                    )*
                    if reader.ns() == ns || reader.ns() == inner || reader.ns().is_empty() {
                        return Err($crate::xml::XmlError::UnexpectedElement {
                            parent: $xsd, found: reader.qualified_name(), position: reader.position(),
                        });
                    }
                    // An extension element in another namespace (xs:any ##other, lax).
                    reader.skip()?;
                }
                Ok($name {
                    $( $field: $crate::xml_struct!(@finish $kind $field $xsd $xml), )*
                })
            }

            fn element_names(
                names: &mut ::std::collections::BTreeSet<&'static str>,
                seen: &mut ::std::collections::BTreeSet<&'static str>,
            ) {
                if !seen.insert(::std::any::type_name::<Self>()) {
                    return;
                }
                $(
                    names.insert($xml);
                    $crate::xml_struct!(@names $kind $fty, names, seen);
                )*
            }

            #[allow(unused_variables, clippy::redundant_closure_call)]
            fn write_content(&self, writer: &mut $crate::xml::XmlWriter, ctx: $crate::xml::Ctx) {
                let ns: &'static str = ($ns_of)(ctx);
                let inner: $crate::xml::Ctx = ($inner_of)(ctx);
                $( $crate::xml_struct!(@write $kind self $field writer ($crate::xml_struct!(@ns ns $($fns)?)) $xml inner); )*
            }
        }
    };

    (@names one $fty:ty, $names:ident, $seen:ident) => {
        <$fty as $crate::xml::XmlType>::element_names($names, $seen);
    };
    (@names $kind:ident $fty:ty, $names:ident, $seen:ident) => {
        <<$fty as $crate::xml::Repeated>::Item as $crate::xml::XmlType>::element_names($names, $seen);
    };

    (@ns $ns:ident) => { $ns };
    (@ns $ns:ident $fns:expr) => { $fns };

    (@slot one $fty:ty) => { ::std::option::Option::<$fty>::None };
    (@slot opt $fty:ty) => { <$fty as ::std::default::Default>::default() };
    (@slot many $fty:ty) => { <$fty as ::std::default::Default>::default() };
    (@slot many1 $fty:ty) => { <$fty as ::std::default::Default>::default() };

    (@accept one $field:ident $reader:ident $xsd:literal $xml:literal $inner:ident) => {
        if $field.is_some() {
            return Err($crate::xml::XmlError::DuplicateElement {
                parent: $xsd, element: $xml, position: $reader.position(),
            });
        }
        $field = Some($crate::xml::XmlType::read_content($reader, $xml, $inner)?);
    };
    (@accept opt $field:ident $reader:ident $xsd:literal $xml:literal $inner:ident) => {
        $crate::xml_struct!(@accept one $field $reader $xsd $xml $inner);
    };
    (@accept many $field:ident $reader:ident $xsd:literal $xml:literal $inner:ident) => {
        $field.push($crate::xml::XmlType::read_content($reader, $xml, $inner)?);
    };
    (@accept many1 $field:ident $reader:ident $xsd:literal $xml:literal $inner:ident) => {
        $crate::xml_struct!(@accept many $field $reader $xsd $xml $inner);
    };

    (@finish one $field:ident $xsd:literal $xml:literal) => {
        match $field {
            Some(value) => value,
            None => return Err($crate::xml::XmlError::MissingElement { parent: $xsd, element: $xml }),
        }
    };
    (@finish opt $field:ident $xsd:literal $xml:literal) => { $field };
    (@finish many $field:ident $xsd:literal $xml:literal) => { $field };
    (@finish many1 $field:ident $xsd:literal $xml:literal) => {
        if $field.is_empty() {
            return Err($crate::xml::XmlError::MissingElement { parent: $xsd, element: $xml });
        } else {
            $field
        }
    };

    (@write one $this:ident $field:ident $writer:ident $ns:tt $xml:literal $inner:ident) => {
        $crate::xml::XmlType::write_element(&$this.$field, $writer, $ns, $xml, $inner);
    };
    (@write opt $this:ident $field:ident $writer:ident $ns:tt $xml:literal $inner:ident) => {
        if let Some(value) = &$this.$field {
            $crate::xml::XmlType::write_element(value, $writer, $ns, $xml, $inner);
        }
    };
    (@write many $this:ident $field:ident $writer:ident $ns:tt $xml:literal $inner:ident) => {
        for value in &$this.$field {
            $crate::xml::XmlType::write_element(value, $writer, $ns, $xml, $inner);
        }
    };
    (@write many1 $this:ident $field:ident $writer:ident $ns:tt $xml:literal $inner:ident) => {
        $crate::xml_struct!(@write many $this $field $writer $ns $xml $inner);
    };
}

/// Declares an enum for an XSD simple type restricted to an enumeration.
///
/// ```ignore
/// xml_enum! {
///     /// Result of a call.
///     pub enum ResultCode("ResultCodeEnum") { Ok = "OK", Error = "ERROR" }
/// }
/// ```
#[macro_export]
macro_rules! xml_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($xsd:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in schema order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The lexical value used in XML.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $value, )*
                }
            }

            /// Parses the lexical value.
            pub fn parse(text: &str) -> ::std::option::Option<Self> {
                match text {
                    $( $value => Some($name::$variant), )*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::xml::XmlText for $name {
            fn from_xml_text(text: &str) -> ::std::result::Result<Self, String> {
                $name::parse(text).ok_or_else(|| {
                    format!(concat!("not a ", $xsd, " value; allowed: {}"),
                        [$($value),*].join(", "))
                })
            }

            fn write_xml_text(&self, out: &mut String) {
                out.push_str(self.as_str());
            }
        }
    };
}

/// Implements [`XmlRoot`] for a type declared with [`xml_struct!`].
#[macro_export]
macro_rules! xml_root {
    ($name:ident, ns = $ns:expr, name = $local:literal, ctx = $ctx:expr, prefixes = $prefixes:expr $(,)?) => {
        impl $crate::xml::XmlRoot for $name {
            const NS: &'static str = $ns;
            const NAME: &'static str = $local;
            const CTX: $crate::xml::Ctx = $ctx;
            const PREFIXES: &'static [(&'static str, &'static str)] = $prefixes;
        }
    };
}
