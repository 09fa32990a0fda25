//! The routing fast path: reads the RIV-TA `LogicalAddress`, the namespace and name of
//! the Body's first element (which identify the contract) and the patient id, without
//! building the message, and stops as soon as it has them. The platform uses it to
//! route a call whose bytes it then forwards unchanged.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::headers::REGISTRY_NS;
use crate::soap::{SOAP11_NS, SOAP12_NS, SoapError};
use crate::xml::{MAX_DEPTH, XmlError};

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

fn ns_of(resolved: ResolveResult<'_>, position: u64) -> Result<&str, SoapError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(ns.into_inner()),
        ResolveResult::Unbound => Ok(""),
        ResolveResult::Unknown(prefix) => {
            Err(SoapError::Xml(XmlError::UnboundPrefix { prefix, position }))
        }
    }
}

/// Scans a SOAP request for routing. Refuses what the full decoder refuses at the
/// envelope level (DTDs, SOAP 1.2, not an envelope, no or empty Body).
pub fn scan(input: &[u8]) -> Result<RoutingInfo, SoapError> {
    let mut reader = NsReader::from_reader(input);
    reader.config_mut().expand_empty_elements = true;
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
                match depth {
                    1 => {
                        let (resolved, _) = reader.resolver().resolve_element(start.name());
                        let ns = ns_of(resolved, position)?;
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
                        let (resolved, _) = reader.resolver().resolve_element(start.name());
                        let in_soap = ns_of(resolved, position)? == SOAP11_NS;
                        place = match local {
                            "Header" if in_soap => Place::Header,
                            "Body" if in_soap => Place::Body,
                            _ => Place::Envelope,
                        };
                    }
                    3 if place == Place::Header && local == "LogicalAddress" => {
                        let (resolved, _) = reader.resolver().resolve_element(start.name());
                        if ns_of(resolved, position)? == REGISTRY_NS {
                            info.logical_address = Some(collect_text(&mut reader)?);
                            depth -= 1;
                        }
                    }
                    3 if place == Place::Body && !have_body_element => {
                        let (resolved, _) = reader.resolver().resolve_element(start.name());
                        let ns = ns_of(resolved, position)?;
                        info.contract_ns = ns.to_owned();
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
fn collect_text(reader: &mut NsReader<&[u8]>) -> Result<String, SoapError> {
    let mut text = String::new();
    loop {
        let position = reader.buffer_position();
        match reader.read_event().map_err(|e| malformed(position, e))? {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(d) => text.push_str(&d.into_inner()),
            Event::GeneralRef(reference) => {
                let ch = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(SoapError::Xml(XmlError::UnknownEntity {
                                name: other.to_owned(),
                                position,
                            }));
                        }
                    },
                    Err(e) => return Err(malformed(position, e)),
                };
                text.push(ch);
            }
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
