//! Phone numbers as entered by people, parsed into E.164.

use std::fmt;

/// A phone number in E.164 (`+` and 8 to 15 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number: NANP numbers may be written with or without `+1`/`1` and with the usual
    /// punctuation (`(919) 555-0100`, `919.555.0100`); other countries need a leading `+`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let allowed = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if !allowed
            || trimmed.matches('+').count() > 1
            || (trimmed.contains('+') && !trimmed.starts_with('+'))
        {
            return Err(format!(
                "{input:?} is not a phone number; write it like +19195550100"
            ));
        }
        let nanp = match (trimmed.starts_with('+'), digits.len()) {
            (false, 10) => Some(digits.clone()),
            (_, 11) if digits.starts_with('1') => Some(digits[1..].to_owned()),
            _ => None,
        };
        if let Some(national) = nanp {
            let valid = |d: u8| (b'2'..=b'9').contains(&d);
            let bytes = national.as_bytes();
            if !valid(bytes[0]) || !valid(bytes[3]) {
                return Err(format!(
                    "{input:?} is not a valid North American number: the area code and exchange cannot start with 0 or 1"
                ));
            }
            return Ok(Self(format!("+1{national}")));
        }
        // Country code 1 is NANP, handled above: any other length is a mistyped NANP number.
        let international = (8..=15).contains(&digits.len()) && !digits.starts_with(['0', '1']);
        if trimmed.starts_with('+') && international {
            return Ok(Self(format!("+{digits}")));
        }
        Err(format!(
            "{input:?} is not a phone number; write it like +19195550100"
        ))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The NANP area code (the three digits after `+1`), if this is a NANP number.
    pub fn area_code(&self) -> Option<&str> {
        (self.0.starts_with("+1") && self.0.len() == 12).then(|| &self.0[2..5])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanp_numbers_normalise_to_e164_in_every_usual_spelling() {
        for input in [
            "+19195550100",
            "19195550100",
            "9195550100",
            "(919) 555-0100",
            "919.555.0100",
            " +1 919 555 0100 ",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "+19195550100",
                "{input}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("9195550100").unwrap().area_code(),
            Some("919")
        );
    }

    #[test]
    fn international_numbers_need_a_plus() {
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
        assert!(PhoneNumber::parse("442079460958").is_err());
        assert_eq!(
            PhoneNumber::parse("+442079460958").unwrap().area_code(),
            None
        );
    }

    #[test]
    fn garbage_and_invalid_nanp_numbers_are_refused() {
        for input in [
            "",
            "abc",
            "555-0100",
            "0195550100",
            "9191550100",
            "+1919555010",
            "12+3456789012",
            "919555010x",
        ] {
            assert!(PhoneNumber::parse(input).is_err(), "{input}");
        }
    }
}
