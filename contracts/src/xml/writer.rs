//! A small XML writer into a `String`, with namespace prefixes declared once on the
//! root element.

/// Writes RIV-TA XML. Namespace prefixes are declared on the first element written
/// with [`XmlWriter::start_with_declarations`] and looked up for every later element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    /// `(namespace URI, prefix)`; an empty prefix is the default namespace.
    prefixes: Vec<(&'static str, &'static str)>,
}

impl XmlWriter {
    /// A writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        XmlWriter {
            out: String::with_capacity(capacity),
            prefixes: Vec::new(),
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
    fn prefix_of(&self, ns: &str) -> Option<&'static str> {
        let found = self
            .prefixes
            .iter()
            .rev()
            .find(|(uri, _)| *uri == ns)
            .map(|(_, p)| *p);
        if found.is_none() && ns.is_empty() && !self.prefixes.iter().any(|(_, p)| p.is_empty()) {
            return Some("");
        }
        found
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
    pub fn end_scope(&mut self, ns: &str, local: &str, mark: ScopeMark) {
        self.end(ns, local);
        self.prefixes.truncate(mark.0);
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
    pub fn start(&mut self, ns: &str, local: &str) {
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
    pub fn end(&mut self, ns: &str, local: &str) {
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
    pub fn leaf(&mut self, ns: &str, local: &str, text: &str) {
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

/// Escapes `text` for XML character data (or an attribute value) into `out`.
/// Characters that XML 1.0 cannot carry at all (most C0 controls) become U+FFFD, so the
/// output is always well-formed.
pub fn escape_into(out: &mut String, text: &str, attribute: bool) {
    let mut rest = text;
    while let Some(index) = rest.find(|c: char| needs_escape(c, attribute)) {
        out.push_str(&rest[..index]);
        let mut chars = rest[index..].chars();
        if let Some(c) = chars.next() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\r' => out.push_str("&#13;"),
                _ => out.push('\u{FFFD}'),
            }
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
}

#[inline]
fn needs_escape(c: char, attribute: bool) -> bool {
    match c {
        '&' | '<' | '>' | '\r' => true,
        '"' => attribute,
        '\t' | '\n' => false,
        c if (c as u32) < 0x20 => true,
        '\u{FFFE}' | '\u{FFFF}' => true,
        _ => false,
    }
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
}
