//! Recognising consent keywords in a contact's reply (pure; no database, no clock).
//!
//! After trimming, case-insensitively: the opt-out words, the opt-in words and the help words
//! are whole-message matches (CTIA's keywords, so `STOP please` is not the keyword `STOP`);
//! then the organization's opt-out expressions (Spoke's auto-opt-out list, by default its one
//! expression, which does catch `STOP please`, `please remove me`, `take me off this list`).

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

/// Whole-message opt-out keywords.
pub const OPT_OUT_WORDS: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// Whole-message opt-in keywords: they opt a contact who is opted out back in.
pub const OPT_IN_WORDS: [&str; 3] = ["START", "UNSTOP", "YES"];
/// Whole-message help keywords.
pub const HELP_WORDS: [&str; 2] = ["HELP", "INFO"];

/// Spoke's default auto-opt-out expression (extensions/message-handlers/auto-optout), reason `stop`.
pub const SPOKE_DEFAULT_EXPRESSION: &str = r"^\s*stop\b|\bremove me\s*$|remove my name|\btake me off th\w+ list|\blose my number|don\W?t contact me|delete my number|I opt out|stop2quit|stopall|^\s*unsubscribe\s*$|^\s*cancel\s*$|^\s*end\s*$|^\s*quit\s*$";
/// The reason Spoke records for its default expression.
pub const SPOKE_DEFAULT_REASON: &str = "stop";
/// Most bytes one compiled expression may take (the regex crate's size limit), so an
/// organization's expression cannot make every inbound message expensive.
pub const MAX_COMPILED_EXPRESSION: usize = 256 * 1024;

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    OptOut,
    OptIn,
    Help,
}

impl Action {
    /// The stored name (`opt_out`, `opt_in`, `help`), also a consent reply's kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::OptOut => "opt_out",
            Action::OptIn => "opt_in",
            Action::Help => "help",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opt_out" => Some(Action::OptOut),
            "opt_in" => Some(Action::OptIn),
            "help" => Some(Action::Help),
            _ => None,
        }
    }
}

/// A recognised reply: the action, what recognised it (`keyword` or `expression`) and the
/// reason recorded (the keyword in lower case, or the expression's reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognised {
    pub action: Action,
    pub source: &'static str,
    pub reason: String,
}

/// An opt-out expression with its reason, compiled case-insensitively.
#[derive(Debug, Clone)]
pub struct Expression {
    pub regex: Regex,
    pub reason: String,
}

/// Compiles an expression the way Spoke does (case-insensitive), bounded in size.
pub fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(MAX_COMPILED_EXPRESSION)
        .build()
}

static SPOKE_DEFAULT: LazyLock<Vec<Expression>> = LazyLock::new(|| {
    vec![Expression {
        regex: compile(SPOKE_DEFAULT_EXPRESSION).expect("Spoke's expression compiles"),
        reason: SPOKE_DEFAULT_REASON.to_owned(),
    }]
});

/// Spoke's default expression list, compiled once.
pub fn spoke_default() -> Vec<Expression> {
    SPOKE_DEFAULT.clone()
}

/// Classifies a reply: the whole-message keywords first, then the expressions in order.
pub fn classify(text: &str, expressions: &[Expression]) -> Option<Recognised> {
    let trimmed = text.trim();
    // Longest keyword is 11 characters: no need to upper-case a long text.
    if trimmed.len() <= 16 {
        let word = trimmed.to_uppercase();
        for (words, action) in [
            (&OPT_OUT_WORDS[..], Action::OptOut),
            (&OPT_IN_WORDS[..], Action::OptIn),
            (&HELP_WORDS[..], Action::Help),
        ] {
            if words.contains(&word.as_str()) {
                return Some(Recognised {
                    action,
                    source: "keyword",
                    reason: word.to_lowercase(),
                });
            }
        }
    }
    expressions
        .iter()
        .find(|e| e.regex.is_match(trimmed))
        .map(|e| Recognised {
            action: Action::OptOut,
            source: "expression",
            reason: e.reason.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str) -> Option<Action> {
        classify(text, &spoke_default()).map(|r| r.action)
    }

    #[test]
    fn keywords_match_whole_trimmed_messages_in_any_case() {
        for text in [
            " Stop ",
            "STOP",
            "stopall",
            "Unsubscribe",
            "cancel",
            "END",
            "quit\n",
        ] {
            assert_eq!(action(text), Some(Action::OptOut), "{text:?}");
        }
        let stop = classify(" Stop ", &spoke_default()).unwrap();
        assert_eq!((stop.source, stop.reason.as_str()), ("keyword", "stop"));
        for text in ["START", " unstop", "Yes"] {
            assert_eq!(action(text), Some(Action::OptIn), "{text:?}");
        }
        for text in ["help", "INFO "] {
            assert_eq!(action(text), Some(Action::Help), "{text:?}");
        }
    }

    #[test]
    fn spokes_default_expression_opts_out_its_phrases_and_not_lookalikes() {
        for text in [
            "Please remove me",
            "STOP please",
            "take me off this list",
            "I opt out",
            "delete my number now",
        ] {
            let recognised = classify(text, &spoke_default());
            assert_eq!(
                recognised
                    .as_ref()
                    .map(|r| (r.action, r.source, r.reason.as_str())),
                Some((Action::OptOut, "expression", "stop")),
                "{text:?}"
            );
        }
        for text in [
            "stopwatch",
            "don't stop",
            "please stop texting me",
            "I want to end this conversation",
            "yes please",
            "help me understand",
        ] {
            assert_eq!(action(text), None, "{text:?}");
        }
    }

    #[test]
    fn an_organizations_expressions_replace_spokes_and_keep_their_reasons() {
        let own = vec![Expression {
            regex: compile(r"\bnot interested\b").unwrap(),
            reason: "not-interested".into(),
        }];
        let recognised = classify("Not interested, thanks", &own).unwrap();
        assert_eq!(recognised.reason, "not-interested");
        assert_eq!(classify("Please remove me", &own), None);
        assert_eq!(
            classify("STOP", &[]).map(|r| r.action),
            Some(Action::OptOut),
            "the keywords hold whatever the expressions"
        );
    }

    #[test]
    fn an_expression_too_big_to_compile_is_refused() {
        assert!(compile(r"\w{1000}\w{1000}\w{1000}").is_err());
        assert!(compile("(unclosed").is_err());
    }
}
