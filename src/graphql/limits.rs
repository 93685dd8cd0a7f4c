//! Limits every GraphQL request passes before any resolver runs: how deeply its text nests, how
//! many fields it selects (`__typename` and introspection fields included, fragments expanded),
//! and how many mutation fields it carries. Each refusal is a GraphQL error with its own code.
//!
//! The nesting check reads the text before the parser does: the parser descends recursively
//! into list and object literals, so a request nested a few thousand deep would overflow the
//! stack of the thread running it. The scan is a loop over bytes, so no input of any size or
//! shape can do that here. Imports nothing from axum.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, ServerError, ServerResult, Variables};

/// Deepest nesting of `{`, `[` and `(` accepted in a request's text (selection sets, argument
/// lists and list or object literals together). The schema's own depth limit is 16 selections;
/// no operation of this API comes near 64.
pub const MAX_NESTING: usize = 64;

/// The limits of one schema, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most fields one request selects, every field and `__typename` counting 1, fragments
    /// counted where they are spread (`GRAPHQL_MAX_FIELDS`).
    pub max_fields: usize,
    /// Most root fields of one mutation operation (`GRAPHQL_MAX_MUTATION_FIELDS`).
    pub max_mutation_fields: usize,
    /// Whether `__schema` and `__type` are answered (`GRAPHQL_INTROSPECTION`); when not, asking
    /// is an error with a code rather than a silent null.
    pub introspection: bool,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Limits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        check_nesting(query)?;
        let document = next.run(ctx, query, variables).await?;
        check_document(&document, *self)?;
        Ok(document)
    }
}

fn refusal(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// Refuses a text nested deeper than [`MAX_NESTING`]; strings, block strings and comments do not
/// count. Linear in the length of the text, and no recursion.
pub fn check_nesting(query: &str) -> ServerResult<()> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(refusal(
                        "QUERY_TOO_DEEP",
                        format!(
                            "the request nests braces, brackets and parentheses more than {MAX_NESTING} deep"
                        ),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Counts the fields of every operation (fragments expanded where spread, each fragment counted
/// once per spread and computed once) and the root fields of mutations.
pub fn check_document(document: &ExecutableDocument, limits: Limits) -> ServerResult<()> {
    let mut counter = Counter {
        fragments: &document.fragments,
        sizes: HashMap::new(),
        in_progress: Vec::new(),
    };
    let mut fields = 0usize;
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        fields = fields.saturating_add(counter.count(&operation.selection_set.node));
        if !limits.introspection && counter.introspects(&operation.selection_set.node) {
            return Err(refusal(
                "INTROSPECTION_DISABLED",
                "introspection (__schema, __type) is switched off on this server (GRAPHQL_INTROSPECTION=false)".into(),
            ));
        }
        if operation.ty == OperationType::Mutation {
            let roots = counter.roots(&operation.selection_set.node);
            if roots > limits.max_mutation_fields {
                return Err(refusal(
                    "TOO_MANY_MUTATIONS",
                    format!(
                        "one request may carry at most {} mutation fields; this one has {roots}: send them in separate requests",
                        limits.max_mutation_fields
                    ),
                ));
            }
        }
    }
    if fields > limits.max_fields {
        return Err(refusal(
            "QUERY_TOO_COMPLEX",
            format!(
                "the request selects {fields} fields (__typename and fragments included); at most {} are allowed",
                limits.max_fields
            ),
        ));
    }
    Ok(())
}

struct Counter<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Fields selected by each fragment once expanded (cycles count as 0: validation refuses them).
    sizes: HashMap<&'a str, usize>,
    in_progress: Vec<&'a str>,
}

impl<'a> Counter<'a> {
    /// Fields of a selection set, fragments expanded. The parser bounds how deep selection sets
    /// nest (and [`check_nesting`] does before it), so this recursion is bounded too.
    fn count(&mut self, set: &'a SelectionSet) -> usize {
        let mut total = 0usize;
        for selection in &set.items {
            let n = match &selection.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.count(&field.node.selection_set.node))
                }
                Selection::InlineFragment(inline) => self.count(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            };
            total = total.saturating_add(n);
        }
        total
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(size) = self.sizes.get(name) {
            return *size;
        }
        if self.in_progress.contains(&name) {
            return 0;
        }
        let Some((key, fragment)) = self.fragments.get_key_value(name) else {
            return 0;
        };
        self.in_progress.push(key.as_str());
        let size = self.count(&fragment.node.selection_set.node);
        self.in_progress.pop();
        self.sizes.insert(key.as_str(), size);
        size
    }

    /// Whether an operation asks `__schema` or `__type` at its root (the only places they exist).
    fn introspects(&mut self, set: &'a SelectionSet) -> bool {
        set.items.iter().any(|selection| match &selection.node {
            Selection::Field(field) => {
                matches!(field.node.name.node.as_str(), "__schema" | "__type")
            }
            Selection::InlineFragment(inline) => self.introspects(&inline.node.selection_set.node),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match self.fragments.get_key_value(name) {
                    Some((key, fragment)) if !self.in_progress.contains(&key.as_str()) => {
                        self.in_progress.push(key.as_str());
                        let found = self.introspects(&fragment.node.selection_set.node);
                        self.in_progress.pop();
                        found
                    }
                    _ => false,
                }
            }
        })
    }

    /// Root fields of an operation, through fragments (no nesting below the root).
    fn roots(&mut self, set: &'a SelectionSet) -> usize {
        let mut total = 0usize;
        for selection in &set.items {
            let n = match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.roots(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.fragments.get_key_value(name) {
                        Some((key, fragment)) if !self.in_progress.contains(&key.as_str()) => {
                            self.in_progress.push(key.as_str());
                            let n = self.roots(&fragment.node.selection_set.node);
                            self.in_progress.pop();
                            n
                        }
                        _ => 0,
                    }
                }
            };
            total = total.saturating_add(n);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_fields: 100,
        max_mutation_fields: 3,
        introspection: false,
    };

    fn check(query: &str) -> Result<(), String> {
        check_nesting(query).map_err(|e| e.message.clone())?;
        let document = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        check_document(&document, LIMITS).map_err(|e| e.message)
    }

    #[test]
    fn nesting_past_the_bound_is_refused_without_parsing() {
        let deep = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let refused = check_nesting(&deep).unwrap_err();
        assert_eq!(
            refused.extensions.unwrap().get("code"),
            Some(&async_graphql::Value::from("QUERY_TOO_DEEP"))
        );
        let fine = format!("{{ a(x: {}1{}) }}", "[".repeat(60), "]".repeat(60));
        assert!(check_nesting(&fine).is_ok());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = format!(
            "{{ a(x: \"{}\", y: \"\"\"{}\"\"\") # {}\n }}",
            "[".repeat(500),
            "{".repeat(500),
            "(".repeat(500)
        );
        assert!(check_nesting(&text).is_ok());
    }

    #[test]
    fn typename_aliases_count_as_fields() {
        let many: String = (0..101).map(|i| format!("a{i}: __typename ")).collect();
        assert!(
            check(&format!("{{ {many} }}"))
                .unwrap_err()
                .contains("101 fields")
        );
        let few: String = (0..100).map(|i| format!("a{i}: __typename ")).collect();
        assert!(check(&format!("{{ {few} }}")).is_ok());
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let query = "query { ...F ...F ...F } fragment F on Query { a b c d e f g h i j k l m n o p q r s t u v w x y z a1 a2 a3 a4 a5 a6 a7 a8 }";
        assert!(check(query).unwrap_err().contains("102 fields"));
        assert!(check("query { ...F } fragment F on Query { ...F a }").is_ok());
    }

    #[test]
    fn introspection_can_be_refused_with_a_code() {
        assert!(
            check("query { ...F } fragment F on Query { __schema { types { name } } }")
                .unwrap_err()
                .contains("GRAPHQL_INTROSPECTION")
        );
        assert!(check("{ __typename }").is_ok());
    }

    #[test]
    fn mutation_root_fields_are_capped() {
        assert!(check("mutation { a b c }").is_ok());
        assert!(
            check("mutation { a b ...F } fragment F on Mutation { c d }")
                .unwrap_err()
                .contains("at most 3 mutation fields")
        );
    }
}
