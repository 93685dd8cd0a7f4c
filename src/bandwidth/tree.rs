//! A small tolerant XML tree for the 10DLC answers (contract-2 §2–§3), whose shapes drift
//! between Bandwidth's spec, docs and SDK fixtures: two roots for one document
//! (`<TnOptionOrders>` vs `<TnOptionOrderReportResponse><TnOptionOrders>`), mixed casing
//! (`accountId` vs `OrderId`), and carriers' `MnoName/MnoId/Status` triples packed into one
//! `<MnoStatus>` or spread over several. Reading a generic tree with case-insensitive lookup
//! copes with all of them where strict serde structs would not.

use quick_xml::events::Event;

/// Deepest nesting read; deeper content is ignored.
const MAX_DEPTH: usize = 64;
/// Most elements read from one document.
const MAX_ELEMENTS: usize = 200_000;

/// One element: its local name, trimmed text and children in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`, ignoring case.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Every child named `name`, ignoring case.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }

    /// The trimmed text of the child `name`, when present and not empty.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// The first element named `name` in this subtree (this node included), depth first.
    pub fn find(&self, name: &str) -> Option<&Node> {
        if self.name.eq_ignore_ascii_case(name) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// A boolean child (`true`/`false`, any case).
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.text_of(name)?.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// Parses a document into its root element; `None` when the body is not XML.
pub(crate) fn parse(body: &[u8]) -> Option<Node> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Node> = Vec::new();
    let mut count = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return None;
                }
                stack.push(Node {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    ..Node::default()
                });
            }
            Ok(Event::Empty(empty)) => {
                count += 1;
                let node = Node {
                    name: String::from_utf8_lossy(empty.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Some(node),
                }
            }
            Ok(Event::Text(text)) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), text.xml_content()) {
                    top.text.push_str(&content);
                }
            }
            Ok(Event::CData(data)) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), data.decode()) {
                    top.text.push_str(&content);
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => reference
                        .decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                        .map(str::to_owned),
                };
                if let (Some(top), Some(resolved)) = (stack.last_mut(), resolved) {
                    top.text.push_str(&resolved);
                }
            }
            Ok(Event::End(_)) => {
                let mut node = stack.pop()?;
                node.text = node.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Some(node),
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_children_ignoring_case_and_trims_text() {
        let root =
            parse(b"<?xml version=\"1.0\"?><A><orderId>\n x \n</orderId><B/><c>&amp;</c></A>")
                .expect("xml");
        assert_eq!(root.text_of("OrderId").as_deref(), Some("x"));
        assert!(root.child("b").is_some());
        assert_eq!(root.text_of("C").as_deref(), Some("&"));
        assert!(parse(b"<html><body>").is_none());
    }
}
