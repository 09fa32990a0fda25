//! A small XML writer into a `String`, with namespace prefixes declared once on the
//! root element.

/// Writes RIV-TA XML. Namespace prefixes are declared on the first element written
/// with [`XmlWriter::start_with_declarations`] and looked up for every later element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    /// `(namespace URI, prefix)`; an empty prefix is the default namespace.
    prefixes: Vec<(&'static str, &'static str)>,
    /// Lookups already made in the current scope, by the address and length of the
    /// namespace asked for. Element namespaces are `&'static str`, so an address never
    /// names two different strings; the same constant may live at several addresses
    /// (one per codegen unit), so each gets its entry. Saves comparing the URIs byte by
    /// byte for every element (a measurable part of encoding a large response).
    seen: Vec<(usize, usize, Option<&'static str>)>,
}

impl XmlWriter {
    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        XmlWriter {
            out: String::with_capacity(capacity),
            prefixes: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// The XML written so far.
    pub fn into_string(self) -> String {
        self.out
    }

    /// Appends raw, already well-formed markup.
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// The prefix bound to `ns` in the current scope. Elements in no namespace are
    /// written unprefixed while no default namespace is in scope.
    fn prefix_of(&mut self, ns: &'static str) -> Option<&'static str> {
        let key = (ns.as_ptr() as usize, ns.len());
        if let Some(&(_, _, prefix)) = self.seen.iter().find(|(a, l, _)| (*a, *l) == key) {
            return prefix;
        }
        let found = self
            .prefixes
            .iter()
            .rev()
            .find(|(uri, _)| *uri == ns)
            .map(|(_, p)| *p);
        let prefix =
            if found.is_none() && ns.is_empty() && !self.prefixes.iter().any(|(_, p)| p.is_empty())
            {
                Some("")
            } else {
                found
            };
        self.seen.push((key.0, key.1, prefix));
        prefix
    }

    fn push_name(&mut self, prefix: &str, local: &str) {
        if !prefix.is_empty() {
            self.out.push_str(prefix);
            self.out.push(':');
        }
        self.out.push_str(local);
    }

    /// Opens `{ns}local`, declaring the given `(prefix, namespace)` pairs on it. They
    /// stay in scope until [`XmlWriter::end_scope`] is called with the returned mark.
    pub fn start_with_declarations(
        &mut self,
        ns: &'static str,
        local: &str,
        declarations: &[(&'static str, &'static str)],
    ) -> ScopeMark {
        let mark = ScopeMark(self.prefixes.len());
        for (prefix, uri) in declarations {
            self.prefixes.push((uri, prefix));
        }
        self.seen.clear();
        self.out.push('<');
        let prefix = self.prefix_of(ns);
        self.push_name(prefix.unwrap_or(""), local);
        for (prefix, uri) in declarations {
            if prefix.is_empty() {
                self.out.push_str(" xmlns=\"");
            } else {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
            }
            escape_into(&mut self.out, uri, true);
            self.out.push('"');
        }
        if prefix.is_none() {
            self.declare_inline(ns);
        }
        self.out.push('>');
        mark
    }

    /// Closes an element opened with [`XmlWriter::start_with_declarations`] and ends
    /// the scope of its declarations.
    pub fn end_scope(&mut self, ns: &'static str, local: &str, mark: ScopeMark) {
        self.end(ns, local);
        self.prefixes.truncate(mark.0);
        self.seen.clear();
    }

    /// Declares `ns` as the default namespace of the element being opened; used when a
    /// namespace was not declared on the root (correct XML, only longer).
    fn declare_inline(&mut self, ns: &str) {
        self.out.push_str(" xmlns=\"");
        escape_into(&mut self.out, ns, true);
        self.out.push('"');
    }

    /// Opens `{ns}local`.
    #[inline]
    pub fn start(&mut self, ns: &'static str, local: &str) {
        self.out.push('<');
        match self.prefix_of(ns) {
            Some(prefix) => self.push_name(prefix, local),
            None => {
                self.out.push_str(local);
                self.declare_inline(ns);
            }
        }
        self.out.push('>');
    }

    /// Closes `{ns}local`.
    #[inline]
    pub fn end(&mut self, ns: &'static str, local: &str) {
        self.out.push_str("</");
        match self.prefix_of(ns) {
            Some(prefix) => self.push_name(prefix, local),
            None => self.out.push_str(local),
        }
        self.out.push('>');
    }

    /// Writes escaped character data.
    #[inline]
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text, false);
    }

    /// Writes `<local>text</local>` in `ns`.
    #[inline]
    pub fn leaf(&mut self, ns: &'static str, local: &str, text: &str) {
        self.start(ns, local);
        self.text(text);
        self.end(ns, local);
    }

    /// Mutable access to the output buffer for simple types that format themselves.
    /// What is pushed must already be escaped.
    pub fn buffer(&mut self) -> &mut String {
        &mut self.out
    }
}

/// Where a scope of namespace declarations began.
#[derive(Debug, Clone, Copy)]
pub struct ScopeMark(usize);

/// Bytes that may need escaping: `&`, `<`, `>`, CR, the C0 controls other than TAB and
/// LF, `"` (attribute values only), and 0xEF, the lead byte of U+FFFE/U+FFFF.
const fn special_bytes(attribute: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != 0x09 && b != 0x0A;
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = attribute;
    table[0xEF] = true;
    table
}

const SPECIAL_TEXT: [bool; 256] = special_bytes(false);
const SPECIAL_ATTRIBUTE: [bool; 256] = special_bytes(true);

/// Escapes `text` for XML character data (or an attribute value) into `out`.
/// Characters that XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF)
/// become U+FFFD, so the output is always well-formed.
///
/// Scans bytes, not chars: every character it acts on is ASCII or starts with the byte
/// 0xEF, so the runs copied between them are whole characters.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    let table = if attribute {
        &SPECIAL_ATTRIBUTE
    } else {
        &SPECIAL_TEXT
    };
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if !table[usize::from(b)] {
            i += 1;
            continue;
        }
        let (replacement, len) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\r' => ("&#13;", 1),
            0xEF => match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(0xBF), Some(0xBE | 0xBF)) => ("\u{FFFD}", 3),
                _ => {
                    i += 1;
                    continue;
                }
            },
            _ => ("\u{FFFD}", 1),
        };
        out.push_str(text.get(copied..i).unwrap_or_default());
        out.push_str(replacement);
        i += len;
        copied = i;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_forbidden_controls() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&c\u{1}d\r\n\"", false);
        assert_eq!(out, "a&lt;b&gt;&amp;c\u{FFFD}d&#13;\n\"");
    }

    #[test]
    fn escapes_quotes_in_attributes_and_non_characters_everywhere() {
        let mut out = String::new();
        escape_into(&mut out, "å\"\u{FFFE}ï\u{FFFF}\u{FFFD}\t€", true);
        assert_eq!(out, "å&quot;\u{FFFD}ï\u{FFFD}\u{FFFD}\t€");
        let mut out = String::new();
        escape_into(&mut out, "Björk \"skolan\" \u{EFFF}\u{1F600}", false);
        assert_eq!(out, "Björk \"skolan\" \u{EFFF}\u{1F600}");
    }
}
