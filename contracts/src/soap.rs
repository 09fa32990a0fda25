//! SOAP 1.1 envelopes for RIV-TA Basic Profile 2.1: encode and decode requests and
//! responses, the `LogicalAddress` header, and SOAP Faults.

use crate::headers::{HEADERS_NS, ProcessingStatus, REGISTRY_NS};
use crate::xml::{XmlError, XmlReader, XmlRoot, XmlType, XmlWriter, check_element};

/// SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace (refused: RIV-TA BP 2.1 is SOAP 1.1).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// A service contract operation: the request type, which names its response.
pub trait Operation: XmlRoot {
    /// The response message.
    type Response: XmlRoot;
    /// Contract name, e.g. `GetDiagnosis`.
    const CONTRACT: &'static str;
    /// Contract major version (the endpoint path carries it).
    const MAJOR: u32;
    /// Schema version implemented, e.g. `2.1`.
    const SCHEMA_VERSION: &'static str;
    /// The `SOAPAction` HTTP header value.
    const SOAP_ACTION: &'static str;
}

/// The SOAP header blocks the project understands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    /// RIV-TA receiver address (HSA-ID or the aggregation address), as sent.
    pub logical_address: Option<String>,
    /// Aggregating services' per-source status.
    pub processing_status: Option<ProcessingStatus>,
}

/// A SOAP 1.1 envelope with one body element of type `B`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<B> {
    /// Header blocks.
    pub header: Header,
    /// The body element.
    pub body: B,
}

impl<B> Envelope<B> {
    /// An envelope addressed to `logical_address`.
    pub fn addressed(logical_address: impl Into<String>, body: B) -> Self {
        Envelope {
            header: Header {
                logical_address: Some(logical_address.into()),
                processing_status: None,
            },
            body,
        }
    }

    /// An envelope without header blocks.
    pub fn bare(body: B) -> Self {
        Envelope {
            header: Header::default(),
            body,
        }
    }
}

/// SOAP 1.1 fault codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultCode {
    /// The message was wrong; do not resend it unchanged.
    Client,
    /// The receiver failed.
    Server,
    /// Wrong envelope version.
    VersionMismatch,
    /// A mandatory header was not understood.
    MustUnderstand,
    /// Another (qualified) code, as sent.
    Other(String),
}

impl FaultCode {
    fn local_name(&self) -> &str {
        match self {
            FaultCode::Client => "Client",
            FaultCode::Server => "Server",
            FaultCode::VersionMismatch => "VersionMismatch",
            FaultCode::MustUnderstand => "MustUnderstand",
            FaultCode::Other(code) => code,
        }
    }

    fn from_qname(qname: &str) -> Self {
        let local = qname.trim().rsplit(':').next().unwrap_or_default();
        match local {
            "Client" => FaultCode::Client,
            "Server" => FaultCode::Server,
            "VersionMismatch" => FaultCode::VersionMismatch,
            "MustUnderstand" => FaultCode::MustUnderstand,
            _ => FaultCode::Other(qname.trim().to_owned()),
        }
    }
}

/// A SOAP 1.1 Fault. Never put personal data in one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SOAP Fault {}: {string}", code.local_name())]
pub struct Fault {
    /// `faultcode`.
    pub code: FaultCode,
    /// `faultstring`: a human-readable explanation.
    pub string: String,
    /// `faultactor`.
    pub actor: Option<String>,
    /// `detail`, as text.
    pub detail: Option<String>,
}

impl Fault {
    /// A fault blaming the caller's message.
    pub fn client(string: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Client,
            string: string.into(),
            actor: None,
            detail: None,
        }
    }

    /// A fault blaming the receiver.
    pub fn server(string: impl Into<String>) -> Self {
        Fault {
            code: FaultCode::Server,
            string: string.into(),
            actor: None,
            detail: None,
        }
    }

    /// Adds a `detail` text.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Why a SOAP message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    /// The XML itself is unacceptable (malformed, DTD, entity declaration, schema
    /// violation inside the body...).
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The document is empty.
    #[error("empty message")]
    Empty,
    /// A SOAP 1.2 envelope: RIV-TA Basic Profile 2.1 requires SOAP 1.1.
    #[error("SOAP 1.2 envelope received; RIV-TA BP 2.1 requires SOAP 1.1 ({SOAP11_NS})")]
    Soap12Envelope,
    /// An `Envelope` in an unknown namespace.
    #[error("Envelope is in namespace `{found}`, expected SOAP 1.1 ({SOAP11_NS})")]
    WrongEnvelopeNamespace {
        /// The namespace found.
        found: String,
    },
    /// The root element is not a SOAP Envelope.
    #[error("not a SOAP envelope: root element is {found}")]
    NotAnEnvelope {
        /// The element found.
        found: String,
    },
    /// The envelope has no Body.
    #[error("the SOAP envelope has no Body")]
    MissingBody,
    /// The Body is empty.
    #[error("the SOAP Body is empty")]
    EmptyBody,
    /// The body element is another operation's.
    #[error("unexpected body element {found}; expected {expected}")]
    UnexpectedBodyElement {
        /// `{ns}local` expected.
        expected: String,
        /// `{ns}local` found.
        found: String,
    },
    /// The body element has the right name in the wrong namespace (another contract
    /// version, or a typo in the namespace).
    #[error("body element `{local}` is in namespace `{found}`, expected `{expected}`")]
    WrongBodyNamespace {
        /// Local name.
        local: String,
        /// Namespace expected.
        expected: String,
        /// Namespace found.
        found: String,
    },
    /// More than one element in the Body.
    #[error("the SOAP Body must contain exactly one element")]
    ExtraBodyElement,
    /// The peer answered with a SOAP Fault.
    #[error(transparent)]
    Fault(Fault),
}

impl SoapError {
    /// Whether the message was refused for a DTD or entity declaration.
    pub fn is_dtd(&self) -> bool {
        matches!(
            self,
            SoapError::Xml(XmlError::DoctypeNotAllowed | XmlError::EntityDeclarationNotAllowed)
        )
    }
}

const ENVELOPE_PREFIXES: &[(&str, &str)] = &[
    ("soap", SOAP11_NS),
    ("add", REGISTRY_NS),
    ("ih", HEADERS_NS),
];

/// Encodes an envelope.
pub fn encode<B: XmlRoot>(envelope: &Envelope<B>) -> String {
    let mut writer = XmlWriter::with_capacity(8192);
    writer.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let mark = writer.start_with_declarations(SOAP11_NS, "Envelope", ENVELOPE_PREFIXES);
    let header = &envelope.header;
    if header.logical_address.is_some() || header.processing_status.is_some() {
        writer.start(SOAP11_NS, "Header");
        if let Some(address) = &header.logical_address {
            writer.leaf(REGISTRY_NS, "LogicalAddress", address);
        }
        if let Some(status) = &header.processing_status {
            status.write_element(&mut writer, HEADERS_NS, "ProcessingStatus", HEADERS_NS);
        }
        writer.end(SOAP11_NS, "Header");
    }
    writer.start(SOAP11_NS, "Body");
    envelope.body.write_root(&mut writer);
    writer.end(SOAP11_NS, "Body");
    writer.end_scope(SOAP11_NS, "Envelope", mark);
    writer.into_string()
}

/// A response envelope written piece by piece: the envelope, the Body and the root
/// element `B` are opened by [`StreamedEnvelope::begin`], the caller writes the root's
/// children through [`StreamedEnvelope::writer`] (in the domain namespace `B::CTX`),
/// and [`StreamedEnvelope::finish`] closes them. The bytes are those [`encode`] writes
/// for an [`Envelope::bare`] of a `B` with the same children; used to write a large
/// answer straight from the journal's rows, without the message's structs in between.
#[derive(Debug)]
pub struct StreamedEnvelope<B> {
    writer: XmlWriter,
    envelope: crate::xml::ScopeMark,
    root: crate::xml::ScopeMark,
    body: std::marker::PhantomData<fn() -> B>,
}

impl<B: XmlRoot> StreamedEnvelope<B> {
    /// Opens the envelope, the Body and the root element, in a buffer of `capacity`
    /// bytes.
    pub fn begin(capacity: usize) -> Self {
        let mut writer = XmlWriter::with_capacity(capacity);
        writer.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let envelope = writer.start_with_declarations(SOAP11_NS, "Envelope", ENVELOPE_PREFIXES);
        writer.start(SOAP11_NS, "Body");
        let root = writer.start_with_declarations(B::NS, B::NAME, B::PREFIXES);
        StreamedEnvelope {
            writer,
            envelope,
            root,
            body: std::marker::PhantomData,
        }
    }

    /// The writer, positioned inside the root element.
    pub fn writer(&mut self) -> &mut XmlWriter {
        &mut self.writer
    }

    /// Closes the root element, the Body and the envelope; returns the message.
    pub fn finish(mut self) -> String {
        self.writer.end_scope(B::NS, B::NAME, self.root);
        self.writer.end(SOAP11_NS, "Body");
        self.writer.end_scope(SOAP11_NS, "Envelope", self.envelope);
        self.writer.into_string()
    }
}

/// Encodes a request to `logical_address`.
pub fn encode_request<Op: Operation>(logical_address: &str, request: &Op) -> String {
    let mut writer = XmlWriter::with_capacity(2048);
    writer.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let mark = writer.start_with_declarations(SOAP11_NS, "Envelope", ENVELOPE_PREFIXES);
    writer.start(SOAP11_NS, "Header");
    writer.leaf(REGISTRY_NS, "LogicalAddress", logical_address);
    writer.end(SOAP11_NS, "Header");
    writer.start(SOAP11_NS, "Body");
    request.write_root(&mut writer);
    writer.end(SOAP11_NS, "Body");
    writer.end_scope(SOAP11_NS, "Envelope", mark);
    writer.into_string()
}

/// Encodes a SOAP 1.1 Fault message.
pub fn encode_fault(fault: &Fault) -> String {
    let mut writer = XmlWriter::with_capacity(512);
    writer.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let mark = writer.start_with_declarations(SOAP11_NS, "Envelope", &[("soap", SOAP11_NS)]);
    writer.start(SOAP11_NS, "Body");
    writer.start(SOAP11_NS, "Fault");
    writer.start("", "faultcode");
    match &fault.code {
        FaultCode::Other(code) => writer.text(code),
        code => {
            writer.text("soap:");
            writer.text(code.local_name());
        }
    }
    writer.end("", "faultcode");
    writer.leaf("", "faultstring", &fault.string);
    if let Some(actor) = &fault.actor {
        writer.leaf("", "faultactor", actor);
    }
    if let Some(detail) = &fault.detail {
        writer.leaf("", "detail", detail);
    }
    writer.end(SOAP11_NS, "Fault");
    writer.end(SOAP11_NS, "Body");
    writer.end_scope(SOAP11_NS, "Envelope", mark);
    writer.into_string()
}

/// Decodes a request envelope for `Op`.
pub fn decode_request<Op: Operation>(input: &[u8]) -> Result<Envelope<Op>, SoapError> {
    decode_envelope::<Op>(input, false)
}

/// Decodes the response envelope of `Op`. A SOAP Fault becomes [`SoapError::Fault`].
pub fn decode_response<Op: Operation>(input: &[u8]) -> Result<Envelope<Op::Response>, SoapError> {
    decode_envelope::<Op::Response>(input, true)
}

/// Decodes an envelope whose body element is `B`; `fault_allowed` reads a SOAP Fault
/// body as [`SoapError::Fault`] (for responses).
pub fn decode_envelope<B: XmlRoot>(
    input: &[u8],
    fault_allowed: bool,
) -> Result<Envelope<B>, SoapError> {
    let mut reader = XmlReader::new(input);
    if !reader.root()? {
        return Err(SoapError::Empty);
    }
    check_envelope(&reader)?;
    let mut header = Header::default();
    let mut body: Option<B> = None;
    let mut seen_header = false;
    while reader.next_child("Envelope")? {
        if reader.is(SOAP11_NS, "Header") && !seen_header && body.is_none() {
            seen_header = true;
            read_header(&mut reader, &mut header)?;
        } else if reader.is(SOAP11_NS, "Body") && body.is_none() {
            body = Some(read_body::<B>(&mut reader, fault_allowed)?);
        } else {
            return Err(SoapError::Xml(XmlError::UnexpectedElement {
                parent: "Envelope",
                found: reader.qualified_name(),
                position: reader.position(),
            }));
        }
    }
    reader.finish()?;
    let body = body.ok_or(SoapError::MissingBody)?;
    Ok(Envelope { header, body })
}

fn check_envelope(reader: &XmlReader<'_>) -> Result<(), SoapError> {
    if reader.local() != "Envelope" {
        return Err(SoapError::NotAnEnvelope {
            found: reader.qualified_name(),
        });
    }
    match reader.ns() {
        SOAP11_NS => Ok(()),
        SOAP12_NS => Err(SoapError::Soap12Envelope),
        other => Err(SoapError::WrongEnvelopeNamespace {
            found: other.to_owned(),
        }),
    }
}

fn read_header(reader: &mut XmlReader<'_>, header: &mut Header) -> Result<(), SoapError> {
    while reader.next_child("Header")? {
        if reader.is(REGISTRY_NS, "LogicalAddress") {
            if header.logical_address.is_some() {
                return Err(SoapError::Xml(XmlError::DuplicateElement {
                    parent: "Header",
                    element: "LogicalAddress",
                    position: reader.position(),
                }));
            }
            header.logical_address = Some(reader.read_text("LogicalAddress")?.into_owned());
        } else if reader.is(HEADERS_NS, "ProcessingStatus") {
            header.processing_status = Some(ProcessingStatus::read_content(
                reader,
                "ProcessingStatus",
                HEADERS_NS,
            )?);
        } else {
            // Other header blocks (WS-Addressing, Actor...) are not ours to act on.
            reader.skip()?;
        }
    }
    Ok(())
}

fn read_body<B: XmlRoot>(reader: &mut XmlReader<'_>, fault_allowed: bool) -> Result<B, SoapError> {
    if !reader.next_child("Body")? {
        return Err(SoapError::EmptyBody);
    }
    if reader.is(SOAP11_NS, "Fault") {
        if fault_allowed {
            let fault = read_fault(reader)?;
            return Err(SoapError::Fault(fault));
        }
        return Err(SoapError::UnexpectedBodyElement {
            expected: format!("{{{}}}{}", B::NS, B::NAME),
            found: reader.qualified_name(),
        });
    }
    match check_element(reader, B::NS, B::NAME) {
        Ok(()) => {}
        Err(XmlError::WrongNamespace {
            local,
            expected,
            found,
        }) => {
            return Err(SoapError::WrongBodyNamespace {
                local,
                expected,
                found,
            });
        }
        Err(_) => {
            return Err(SoapError::UnexpectedBodyElement {
                expected: format!("{{{}}}{}", B::NS, B::NAME),
                found: reader.qualified_name(),
            });
        }
    }
    let body = B::read_root(reader)?;
    if reader.next_child("Body")? {
        return Err(SoapError::ExtraBodyElement);
    }
    Ok(body)
}

fn read_fault(reader: &mut XmlReader<'_>) -> Result<Fault, SoapError> {
    let mut fault = Fault::server(String::new());
    let mut code = None;
    while reader.next_child("Fault")? {
        match reader.local() {
            "faultcode" => code = Some(reader.read_text("faultcode")?.into_owned()),
            "faultstring" => fault.string = reader.read_text("faultstring")?.into_owned(),
            "faultactor" => fault.actor = Some(reader.read_text("faultactor")?.into_owned()),
            "detail" => fault.detail = Some(reader.read_all_text()?.trim().to_owned()),
            _ => reader.skip()?,
        }
    }
    fault.code = FaultCode::from_qname(code.as_deref().unwrap_or("Server"));
    Ok(fault)
}
