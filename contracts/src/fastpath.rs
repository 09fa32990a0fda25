//! The routing fast path: reads the RIV-TA `LogicalAddress`, the namespace and name of
//! the Body's first element (which identify the contract) and the patient id, without
//! building the message, and stops as soon as it has them. The platform uses it to
//! route a call whose bytes it then forwards unchanged.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::headers::REGISTRY_NS;
use crate::soap::{SOAP11_NS, SOAP12_NS, SoapError};
use crate::xml::{MAX_DEPTH, XmlError, resolve_reference};

/// What routing needs to know about a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingInfo {
    /// The `LogicalAddress` header as sent (not trimmed), if present.
    pub logical_address: Option<String>,
    /// Namespace of the Body's first element: the contract's Responder namespace.
    pub contract_ns: String,
    /// Local name of the Body's first element, e.g. `GetDiagnosis`.
    pub operation: String,
    /// The patient id of the request (`patientId/id`, `patientId/extension` or
    /// `registeredResidentIdentification`), if the body has one.
    pub patient_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Envelope,
    Header,
    Body,
}

fn malformed(position: u64, err: impl std::fmt::Display) -> SoapError {
    SoapError::Xml(XmlError::Malformed {
        position,
        reason: err.to_string(),
    })
}

/// Namespace declarations in scope for the top three levels (Envelope, Header/Body,
/// header blocks and the body element): the only elements the scan resolves. Deeper
/// elements are matched by local name only, so their declarations are never parsed;
/// that is what makes the scan fast.
#[derive(Default)]
struct TopScopes {
    /// `(depth, prefix, namespace)`; an empty prefix is the default namespace.
    bindings: Vec<(usize, String, String)>,
}

impl TopScopes {
    fn enter(
        &mut self,
        depth: usize,
        start: &BytesStart<'_>,
        position: u64,
    ) -> Result<(), SoapError> {
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| malformed(position, e))?;
            let key = attribute.key.as_ref();
            let prefix = if key == "xmlns" {
                ""
            } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                prefix
            } else {
                continue;
            };
            self.bindings
                .push((depth, prefix.to_owned(), attribute.value.into_owned()));
        }
        Ok(())
    }

    fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|(d, _, _)| *d >= depth) {
            self.bindings.pop();
        }
    }

    /// The namespace of an element name (`prefix:local` or `local`).
    fn resolve(&self, qname: &str, position: u64) -> Result<&str, SoapError> {
        let prefix = qname.split_once(':').map_or("", |(prefix, _)| prefix);
        match self.bindings.iter().rev().find(|(_, p, _)| p == prefix) {
            Some((_, _, ns)) => Ok(ns),
            None if prefix.is_empty() => Ok(""),
            None => Err(SoapError::Xml(XmlError::UnboundPrefix {
                prefix: prefix.to_owned(),
                position,
            })),
        }
    }
}

/// Scans a SOAP request for routing. Refuses what the full decoder refuses at the
/// envelope level (DTDs, SOAP 1.2, not an envelope, no or empty Body).
pub fn scan(input: &[u8]) -> Result<RoutingInfo, SoapError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().expand_empty_elements = true;
    let mut scopes = TopScopes::default();
    let mut info = RoutingInfo::default();
    let mut depth = 0usize;
    let mut place = Place::Envelope;
    let mut have_body_element = false;
    // Depth of an open patientId element, while inside one.
    let mut in_patient_id: Option<usize> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| malformed(position, e))?;
        match event {
            Event::Start(start) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SoapError::Xml(XmlError::TooDeep { limit: MAX_DEPTH }));
                }
                let local = start.local_name();
                let local = local.as_ref();
                if depth <= 3 {
                    scopes.enter(depth, &start, position)?;
                }
                match depth {
                    1 => {
                        let ns = scopes.resolve(start.name().as_ref(), position)?;
                        if local != "Envelope" {
                            return Err(SoapError::NotAnEnvelope {
                                found: local.to_owned(),
                            });
                        }
                        if ns == SOAP12_NS {
                            return Err(SoapError::Soap12Envelope);
                        }
                        if ns != SOAP11_NS {
                            return Err(SoapError::WrongEnvelopeNamespace {
                                found: ns.to_owned(),
                            });
                        }
                    }
                    2 => {
                        let in_soap = scopes.resolve(start.name().as_ref(), position)? == SOAP11_NS;
                        place = match local {
                            "Header" if in_soap => Place::Header,
                            "Body" if in_soap => Place::Body,
                            _ => Place::Envelope,
                        };
                    }
                    3 if place == Place::Header
                        && local == "LogicalAddress"
                        && scopes.resolve(start.name().as_ref(), position)? == REGISTRY_NS =>
                    {
                        info.logical_address = Some(collect_text(&mut reader)?);
                        scopes.leave(depth);
                        depth -= 1;
                    }
                    3 if place == Place::Body && !have_body_element => {
                        info.contract_ns =
                            scopes.resolve(start.name().as_ref(), position)?.to_owned();
                        info.operation = local.to_owned();
                        have_body_element = true;
                    }
                    _ if place == Place::Body && depth > 3 && info.patient_id.is_none() => {
                        if local == "registeredResidentIdentification"
                            || (in_patient_id.is_some() && (local == "id" || local == "extension"))
                        {
                            info.patient_id = Some(collect_text(&mut reader)?);
                            return Ok(info);
                        } else if local == "patientId" {
                            in_patient_id = Some(depth);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if in_patient_id == Some(depth) {
                    in_patient_id = None;
                }
                if depth <= 3 {
                    scopes.leave(depth);
                }
                if depth == 2 && place == Place::Body {
                    if !have_body_element {
                        return Err(SoapError::EmptyBody);
                    }
                    return Ok(info);
                }
                depth = depth.saturating_sub(1);
            }
            Event::DocType(text) => {
                return Err(SoapError::Xml(if text.into_inner().contains("<!ENTITY") {
                    XmlError::EntityDeclarationNotAllowed
                } else {
                    XmlError::DoctypeNotAllowed
                }));
            }
            Event::Eof => {
                return Err(
                    if depth == 0 && info.contract_ns.is_empty() && position == 0 {
                        SoapError::Empty
                    } else if have_body_element {
                        SoapError::Xml(XmlError::UnexpectedEof)
                    } else {
                        SoapError::MissingBody
                    },
                );
            }
            _ => {}
        }
    }
}

/// Reads the text of the element just opened, through its end tag.
fn collect_text(reader: &mut Reader<&[u8]>) -> Result<String, SoapError> {
    let mut text = String::new();
    loop {
        let position = reader.buffer_position();
        match reader.read_event().map_err(|e| malformed(position, e))? {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(d) => text.push_str(&d.into_inner()),
            Event::GeneralRef(reference) => text.push(resolve_reference(&reference, position)?),
            Event::End(_) => return Ok(text),
            Event::Start(_) => {
                return Err(SoapError::Xml(XmlError::ChildInSimpleElement {
                    element: "text element",
                    position,
                }));
            }
            Event::Eof => return Err(SoapError::Xml(XmlError::UnexpectedEof)),
            _ => {}
        }
    }
}
