//! A small, tolerant XML tree for the emulator's Dashboard endpoints.
//!
//! Bandwidth's Dashboard XML drifts in casing (`<name>` vs `<Name>`, `<protocol>` vs `<Protocol>`)
//! and SDKs add elements Bandwidth ignores (node-numbers puts `<SiteId>` inside `<SipPeer>`), so
//! requests are read into a generic tree with case-insensitive child lookup instead of strict
//! serde structs. Responses are built with the same type and written with exact casing.
//! Owns nothing but XML; imports nothing from the rest of the emulator.

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// The declaration every Dashboard response starts with (contract §1).
pub const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

/// Deepest nesting the reader accepts; Dashboard documents are a handful of levels deep.
const MAX_DEPTH: usize = 64;
/// Most elements the reader accepts in one document, so a hostile body cannot grow memory unbounded.
const MAX_ELEMENTS: usize = 100_000;

/// One XML element: its name, its text (concatenated, trimmed) and its child elements in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Element name exactly as written (namespace prefix kept).
    pub name: String,
    /// Text content with entities resolved and surrounding whitespace trimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

/// Why a request body could not be read as XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// The bytes are not well-formed XML (or not UTF-8).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// The document has no root element.
    #[error("empty XML document")]
    Empty,
    /// The document is nested deeper or has more elements than the emulator accepts.
    #[error("XML document too large")]
    TooLarge,
}

impl Element {
    /// A new element with no text and no children.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Builder: an element holding only text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// Builder: appends a child element.
    pub fn with(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Builder: appends a text-only child.
    pub fn with_leaf(self, name: &str, text: impl Into<String>) -> Self {
        self.with(Element::leaf(name, text))
    }

    /// Builder: appends a text-only child when `text` is present.
    pub fn with_opt(self, name: &str, text: Option<&str>) -> Self {
        match text {
            Some(t) => self.with_leaf(name, t),
            None => self,
        }
    }

    /// Builder: appends every child of an iterator.
    pub fn with_all(mut self, children: impl IntoIterator<Item = Element>) -> Self {
        self.children.extend(children);
        self
    }

    /// The first child whose name equals `name` ignoring ASCII case.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// All children whose name equals `name` ignoring ASCII case.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// Follows a path of child names (case-insensitive) from this element.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |el, name| el.child(name))
    }

    /// Text of the child at `names`, when present and non-empty.
    pub fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names)
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }

    /// Writes this element (and its subtree) as compact XML.
    pub fn write_to(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        if self.text.is_empty() && self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&escape(self.text.as_str()));
        for child in &self.children {
            child.write_to(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The element as a full document, starting with Bandwidth's XML declaration.
    pub fn to_document(&self) -> String {
        let mut out = String::from(DECLARATION);
        self.write_to(&mut out);
        out
    }
}

/// Parses a document into its root element. Comments, processing instructions and the
/// declaration are skipped; attributes are ignored (Dashboard payloads carry none that matter).
pub fn parse(input: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(input);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                stack.push(Element::new(name));
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                attach(&mut stack, &mut root, Element::new(name))?;
            }
            Event::End(_) => {
                let mut done = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                done.text = done.text.trim().to_string();
                attach(&mut stack, &mut root, done)?;
            }
            Event::Text(text) => {
                let decoded = text
                    .xml_content()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&decoded);
                }
            }
            Event::CData(data) => {
                let decoded = data
                    .xml_content()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference
                    .resolve_char_ref()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?
                {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = reference
                            .decode()
                            .map_err(|e| XmlError::Malformed(e.to_string()))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::Malformed(format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or(XmlError::Empty)
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(element);
            Ok(())
        }
        None => Err(XmlError::Malformed("more than one root element".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_nested_elements_case_insensitively() {
        let doc = parse(
            r#"<?xml version="1.0"?><DisconnectTelephoneNumberOrder><name>run &amp; go</name>
            <DisconnectTelephoneNumberOrderType><TelephoneNumberList>
            <TelephoneNumber>5405514342</TelephoneNumber><TelephoneNumber>7034343704</TelephoneNumber>
            </TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>"#,
        )
        .expect("valid XML");
        assert_eq!(doc.text_at(&["Name"]), Some("run & go"));
        let list = doc
            .path(&["disconnecttelephonenumberordertype", "TELEPHONENUMBERLIST"])
            .expect("list");
        let numbers: Vec<_> = list
            .children_named("TelephoneNumber")
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(numbers, ["5405514342", "7034343704"]);
    }

    #[test]
    fn parse_keeps_root_text_and_empty_elements() {
        let doc = parse("<ApplicationsSettings>REMOVE</ApplicationsSettings>").expect("xml");
        assert_eq!(doc.text, "REMOVE");
        let doc = parse("<A><HttpSettings/><B>&#x41;</B></A>").expect("xml");
        assert!(doc.child("httpsettings").is_some());
        assert_eq!(doc.text_at(&["b"]), Some("A"));
    }

    #[test]
    fn parse_rejects_malformed_documents() {
        assert!(parse("<A><B></A>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<A/><B/>").is_err());
    }

    #[test]
    fn documents_are_written_with_the_declaration_and_escaped_text() {
        let el = Element::new("SiteResponse")
            .with(Element::new("Site").with_leaf("Name", "A & B <x>"))
            .with(Element::new("Empty"));
        assert_eq!(
            el.to_document(),
            format!(
                "{DECLARATION}<SiteResponse><Site><Name>A &amp; B &lt;x&gt;</Name></Site><Empty/></SiteResponse>"
            )
        );
    }
}
