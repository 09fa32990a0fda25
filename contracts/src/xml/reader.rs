//! A pull reader over a borrowed byte slice that resolves namespaces and refuses
//! DTDs, built on quick-xml's `NsReader`.

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::error::XmlError;

/// Deepest element nesting accepted anywhere (RIV-TA messages need fewer than 20).
pub const MAX_DEPTH: usize = 64;

/// Reads the child elements and texts of a RIV-TA message one at a time.
///
/// After [`XmlReader::next_child`] returns `true` the reader stands on that child's start
/// tag; its name is [`XmlReader::ns`] and [`XmlReader::local`]. The caller then consumes
/// it with a typed reader, [`XmlReader::read_text`] or [`XmlReader::skip`].
pub struct XmlReader<'i> {
    inner: NsReader<&'i [u8]>,
    /// Namespace URI of the current element; empty when it is in no namespace.
    ns: String,
    local: String,
    depth: usize,
}

impl std::fmt::Debug for XmlReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlReader")
            .field("ns", &self.ns)
            .field("local", &self.local)
            .field("depth", &self.depth)
            .finish()
    }
}

fn malformed(position: u64, err: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed {
        position,
        reason: err.to_string(),
    }
}

/// Refuses characters XML 1.0 does not allow anywhere in a document (`Char`
/// production): C0 controls other than tab, line feed and carriage return, and the
/// non-characters U+FFFE and U+FFFF. quick-xml does not check them, and the writer
/// would turn them into U+FFFD, so a value read with them would not survive a round
/// trip (found by the `soap_request` fuzz target).
pub(crate) fn check_xml_chars(text: &str, position: u64) -> Result<(), XmlError> {
    let bytes = text.as_bytes();
    let bad = bytes.iter().enumerate().find(|&(i, &b)| match b {
        b'\t' | b'\n' | b'\r' => false,
        0..0x20 => true,
        0xEF => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0xBF), Some(0xBE | 0xBF))
        ),
        _ => false,
    });
    match bad {
        None => Ok(()),
        Some(_) => Err(malformed(
            position,
            "a character XML 1.0 does not allow (a control character, U+FFFE or U+FFFF)",
        )),
    }
}

fn doctype_error(text: &str) -> XmlError {
    if text.contains("<!ENTITY") {
        XmlError::EntityDeclarationNotAllowed
    } else {
        XmlError::DoctypeNotAllowed
    }
}

fn is_xml_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

impl<'i> XmlReader<'i> {
    /// A reader over `input`, which must be UTF-8 XML.
    pub fn new(input: &'i [u8]) -> Self {
        let mut inner = NsReader::from_reader(input);
        let config = inner.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        XmlReader {
            inner,
            ns: String::new(),
            local: String::new(),
            depth: 0,
        }
    }

    /// Byte offset in the input, for error messages.
    pub fn position(&self) -> u64 {
        self.inner.buffer_position()
    }

    /// Namespace URI of the current element (empty when in no namespace).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// Local name of the current element.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// Whether the current element is `{ns}local`.
    #[inline]
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns == ns
    }

    /// `{ns}local` of the current element, for messages.
    pub fn qualified_name(&self) -> String {
        if self.ns.is_empty() {
            self.local.clone()
        } else {
            format!("{{{}}}{}", self.ns, self.local)
        }
    }

    fn next_event(&mut self) -> Result<(ResolveResult<'_>, Event<'i>), XmlError> {
        let position = self.inner.buffer_position();
        self.inner
            .read_resolved_event()
            .map_err(|e| malformed(position, e))
    }

    /// Advances to the root element of the document, refusing DTDs. Returns `false`
    /// for a document without a root element.
    pub fn root(&mut self) -> Result<bool, XmlError> {
        loop {
            let position = self.position();
            let (resolved, event) = self
                .inner
                .read_resolved_event()
                .map_err(|e| malformed(position, e))?;
            match event {
                Event::Start(start) => {
                    resolve_into(resolved, position, &mut self.ns)?;
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                    }
                    self.local.clear();
                    self.local.push_str(start.local_name().as_ref());
                    return Ok(true);
                }
                Event::DocType(text) => return Err(doctype_error(&text.into_inner())),
                Event::Eof => return Ok(false),
                Event::Text(ref text) if is_xml_whitespace(text) => {}
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                _ => return Err(malformed(position, "content before the root element")),
            }
        }
    }

    /// Moves to the next child element of the current element. Returns `false` (having
    /// consumed the parent's end tag) when there are no more children.
    ///
    /// `parent` names the enclosing type for error messages. Whitespace, comments and
    /// processing instructions between elements are skipped; other text is an error.
    pub fn next_child(&mut self, parent: &'static str) -> Result<bool, XmlError> {
        loop {
            let position = self.position();
            let (resolved, event) = self
                .inner
                .read_resolved_event()
                .map_err(|e| malformed(position, e))?;
            match event {
                Event::Start(start) => {
                    resolve_into(resolved, position, &mut self.ns)?;
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                    }
                    self.local.clear();
                    self.local.push_str(start.local_name().as_ref());
                    return Ok(true);
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(false);
                }
                Event::Text(text) => {
                    if !is_xml_whitespace(&text.into_inner()) {
                        return Err(XmlError::UnexpectedText { parent, position });
                    }
                }
                Event::CData(data) => {
                    if !is_xml_whitespace(&data.into_inner()) {
                        return Err(XmlError::UnexpectedText { parent, position });
                    }
                }
                Event::GeneralRef(_) => return Err(XmlError::UnexpectedText { parent, position }),
                Event::Comment(_) | Event::PI(_) => {}
                Event::DocType(text) => return Err(doctype_error(&text.into_inner())),
                Event::Decl(_) => return Err(malformed(position, "misplaced XML declaration")),
                Event::Empty(_) => return Err(malformed(position, "unexpanded empty element")),
                Event::Eof => return Err(XmlError::UnexpectedEof),
            }
        }
    }

    /// Reads the text content of the current element (of simple type) up to its end tag,
    /// resolving character and predefined entity references.
    pub fn read_text(&mut self, element: &'static str) -> Result<Cow<'i, str>, XmlError> {
        let mut collected: Option<Cow<'i, str>> = None;
        loop {
            let position = self.position();
            let (_, event) = self.next_event()?;
            let piece: Cow<'i, str> = match event {
                Event::Text(text) => text.xml10_content(),
                Event::CData(data) => data.into_inner(),
                Event::GeneralRef(reference) => {
                    Cow::Owned(resolve_reference(&reference, position)?.to_string())
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    let text = collected.unwrap_or(Cow::Borrowed(""));
                    check_xml_chars(&text, position)?;
                    return Ok(text);
                }
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Start(_) | Event::Empty(_) => {
                    return Err(XmlError::ChildInSimpleElement { element, position });
                }
                Event::DocType(text) => return Err(doctype_error(&text.into_inner())),
                Event::Decl(_) => return Err(malformed(position, "misplaced XML declaration")),
                Event::Eof => return Err(XmlError::UnexpectedEof),
            };
            collected = Some(match collected {
                None => piece,
                Some(before) => Cow::Owned(before.into_owned() + &piece),
            });
        }
    }

    /// Reads all character data inside the current element and its descendants (for
    /// free-form content such as a SOAP Fault `detail`), through its end tag.
    pub fn read_all_text(&mut self) -> Result<String, XmlError> {
        let mut text = String::new();
        let mut open = 1usize;
        while open > 0 {
            let position = self.position();
            let (_, event) = self.next_event()?;
            match event {
                Event::Start(_) => {
                    open += 1;
                    if self.depth + open > MAX_DEPTH {
                        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                    }
                }
                Event::End(_) => open -= 1,
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::CData(d) => text.push_str(&d.into_inner()),
                Event::GeneralRef(reference) => text.push(resolve_reference(&reference, position)?),
                Event::DocType(t) => return Err(doctype_error(&t.into_inner())),
                Event::Eof => return Err(XmlError::UnexpectedEof),
                _ => {}
            }
        }
        self.depth = self.depth.saturating_sub(1);
        check_xml_chars(&text, self.position())?;
        Ok(text)
    }

    /// Skips the current element and everything inside it.
    pub fn skip(&mut self) -> Result<(), XmlError> {
        let mut open = 1usize;
        while open > 0 {
            let position = self.position();
            let (_, event) = self.next_event()?;
            match event {
                Event::Start(_) => {
                    open += 1;
                    if self.depth + open > MAX_DEPTH {
                        return Err(XmlError::TooDeep { limit: MAX_DEPTH });
                    }
                }
                Event::End(_) => open -= 1,
                Event::DocType(text) => return Err(doctype_error(&text.into_inner())),
                Event::GeneralRef(reference) => {
                    resolve_reference(&reference, position)?;
                }
                Event::Eof => return Err(XmlError::UnexpectedEof),
                _ => {}
            }
        }
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    /// Checks that nothing but whitespace, comments and processing instructions
    /// follows the root element.
    pub fn finish(&mut self) -> Result<(), XmlError> {
        loop {
            let position = self.position();
            let (_, event) = self.next_event()?;
            match event {
                Event::Eof => return Ok(()),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Text(ref text) if is_xml_whitespace(text) => {}
                _ => return Err(XmlError::TrailingContent { position }),
            }
        }
    }
}

/// Writes the resolved namespace URI into `out` (reusing its allocation).
fn resolve_into(
    resolved: ResolveResult<'_>,
    position: u64,
    out: &mut String,
) -> Result<(), XmlError> {
    out.clear();
    match resolved {
        ResolveResult::Bound(ns) => {
            out.push_str(ns.as_ref());
            Ok(())
        }
        ResolveResult::Unbound => Ok(()),
        ResolveResult::Unknown(prefix) => Err(XmlError::UnboundPrefix { prefix, position }),
    }
}

/// Resolves a character reference or one of the five predefined entities; any other
/// entity is undeclared (DTDs are refused, so nothing can declare one).
pub(crate) fn resolve_reference(
    reference: &quick_xml::events::BytesRef<'_>,
    position: u64,
) -> Result<char, XmlError> {
    match reference.resolve_char_ref() {
        Ok(Some(ch)) => Ok(ch),
        Ok(None) => predefined_entity(reference).ok_or_else(|| XmlError::UnknownEntity {
            name: reference.to_string(),
            position,
        }),
        Err(e) => Err(malformed(position, e)),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}
