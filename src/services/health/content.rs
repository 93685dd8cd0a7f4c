//! What makes two texts "the same script": the normalised text and its hash. Pure.
//!
//! Normalising lower-cases, turns every run of digits into `0` (dates, amounts, short links
//! with ids), drops punctuation and symbols, and collapses whitespace, so the same script with a
//! different number, date or spacing counts as one text. Names filled into a script still make
//! texts differ; that is deliberate: a flag should not stop unrelated messages.

use sha2::{Digest, Sha256};

/// The normalised form of a text.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    let mut last_digit = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_numeric() {
            if !last_digit {
                out.push('0');
            }
            last_digit = true;
            last_space = false;
            continue;
        }
        last_digit = false;
        if c.is_alphabetic() {
            out.push(c);
            last_space = false;
        } else if c.is_whitespace() && !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    out.trim_end().to_owned()
}

/// The hash of a text's normalised form (hex sha256): what strikes and flags store.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(normalise(text).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_spacing_punctuation_and_numbers_do_not_make_texts_differ() {
        assert_eq!(
            normalise("  Vote on Nov. 5th!\n\nCall 555-0100 "),
            "vote on nov 0th call 00"
        );
        assert_eq!(
            content_hash("VOTE on Nov 3rd"),
            content_hash("vote   on nov. 12rd")
        );
        assert_ne!(content_hash("Hi Ann, vote"), content_hash("Hi Bob, vote"));
    }
}
