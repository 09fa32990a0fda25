//! Errors raised while reading RIV-TA XML.

/// Why an XML document could not be read as the expected message.
///
/// Every variant names the element or value at fault (never the text content of a
/// field, which may be personal data) and, where known, the byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML (syntax, encoding, mismatched tags, truncated input).
    #[error("malformed XML at byte {position}: {reason}")]
    Malformed { position: u64, reason: String },
    /// A document type declaration (`<!DOCTYPE ...>`) was present. RIV-TA messages never
    /// carry one, and refusing it closes the door to XXE and entity-expansion attacks.
    #[error("a DOCTYPE (document type declaration) is not allowed in a RIV-TA message")]
    DoctypeNotAllowed,
    /// An entity declaration (`<!ENTITY ...>`) was present inside a DOCTYPE.
    #[error("an entity declaration (<!ENTITY>) is not allowed in a RIV-TA message")]
    EntityDeclarationNotAllowed,
    /// A reference to an entity that is neither predefined nor a character reference.
    #[error("undeclared entity reference &{name}; at byte {position}")]
    UnknownEntity { name: String, position: u64 },
    /// An element prefix that is not bound to any namespace.
    #[error("unbound namespace prefix `{prefix}` at byte {position}")]
    UnboundPrefix { prefix: String, position: u64 },
    /// The root element is not the one expected.
    #[error("expected root element {expected}, found {found}")]
    UnexpectedRoot { expected: String, found: String },
    /// An element with the right local name but in another namespace.
    #[error("element `{local}` is in namespace `{found}`, expected `{expected}`")]
    WrongNamespace {
        local: String,
        expected: String,
        found: String,
    },
    /// An element the schema does not allow at this place.
    #[error("unexpected element {found} in {parent} at byte {position}")]
    UnexpectedElement {
        parent: &'static str,
        found: String,
        position: u64,
    },
    /// An element that appears before an element that must precede it.
    #[error("element `{element}` in {parent} is out of schema order at byte {position}")]
    OutOfOrder {
        parent: &'static str,
        element: &'static str,
        position: u64,
    },
    /// A required element is missing.
    #[error("required element `{element}` is missing in {parent}")]
    MissingElement {
        parent: &'static str,
        element: &'static str,
    },
    /// An element that may occur at most once occurs again.
    #[error("element `{element}` occurs more than once in {parent} at byte {position}")]
    DuplicateElement {
        parent: &'static str,
        element: &'static str,
        position: u64,
    },
    /// Character data where only elements are allowed.
    #[error("unexpected text content in {parent} at byte {position}")]
    UnexpectedText { parent: &'static str, position: u64 },
    /// Child elements inside an element of simple type.
    #[error("element `{element}` must contain text only, found a child element at byte {position}")]
    ChildInSimpleElement {
        element: &'static str,
        position: u64,
    },
    /// A value that does not match its simple type (date, code, boolean...).
    #[error("invalid value in element `{element}`: {reason}")]
    InvalidValue {
        element: &'static str,
        reason: String,
    },
    /// Input ended before the document was complete.
    #[error("unexpected end of input")]
    UnexpectedEof,
    /// Content after the root element.
    #[error("content after the end of the root element at byte {position}")]
    TrailingContent { position: u64 },
    /// Nesting deeper than any RIV-TA message needs.
    #[error("elements nested deeper than {limit} levels")]
    TooDeep { limit: usize },
}

impl XmlError {
    /// Attaches the element name to a value error raised by a simple type parser.
    pub(crate) fn invalid(element: &'static str, reason: impl Into<String>) -> Self {
        XmlError::InvalidValue {
            element,
            reason: reason.into(),
        }
    }
}
