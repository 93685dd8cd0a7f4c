//! Exact SMS segment counting (contract-2 §7): a text that is all GSM 03.38 characters is
//! GSM-7 — 160 septets in one segment, 153 per part once concatenated, the extension characters
//! (`^ { } \ [ ~ ] | €` and form feed) costing two septets each; anything else is UCS-2 — 70
//! UTF-16 units in one segment, 67 per part (an emoji outside the BMP is two units). A message
//! with media is MMS: one segment. Pure; Bandwidth's own `segmentCount` replaces ours once it
//! answers.

/// The GSM 03.38 basic character set (one septet each).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The GSM 03.38 extension table (an escape plus the character: two septets each).
const EXTENSION: &str = "^{}\\[~]|€\u{0c}";

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The encoding a text needs and its length in that encoding's units (septets or UTF-16 units).
pub fn measure(text: &str) -> (Encoding, usize) {
    let septets = text.chars().try_fold(0usize, |sum, c| {
        if BASIC.contains(c) {
            Some(sum + 1)
        } else if EXTENSION.contains(c) {
            Some(sum + 2)
        } else {
            None
        }
    });
    match septets {
        Some(septets) => (Encoding::Gsm7, septets),
        None => (Encoding::Ucs2, text.encode_utf16().count()),
    }
}

/// Segments a message takes (at least 1).
pub fn segment_count(text: &str, has_media: bool) -> i32 {
    if has_media {
        return 1;
    }
    let (encoding, units) = measure(text);
    let (single, part) = match encoding {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    if units <= single {
        1
    } else {
        i32::try_from(units.div_ceil(part)).unwrap_or(i32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_of_161_gsm7_characters_counts_two_segments_and_one_of_160_counts_one() {
        assert_eq!(segment_count(&"a".repeat(160), false), 1);
        assert_eq!(segment_count(&"a".repeat(161), false), 2);
        assert_eq!(segment_count(&"a".repeat(306), false), 2);
        assert_eq!(segment_count(&"a".repeat(307), false), 3);
    }

    #[test]
    fn sixty_eight_letters_and_an_emoji_count_one_segment_and_sixty_nine_count_two() {
        let one = format!("{}😀", "a".repeat(68));
        assert_eq!(measure(&one), (Encoding::Ucs2, 70));
        assert_eq!(segment_count(&one, false), 1);
        let two = format!("{}😀", "a".repeat(69));
        assert_eq!(segment_count(&two, false), 2);
        assert_eq!(segment_count(&"ł".repeat(134), false), 2);
        assert_eq!(segment_count(&"ł".repeat(135), false), 3);
    }

    #[test]
    fn the_euro_sign_and_other_extension_characters_count_as_two_gsm7_characters() {
        assert_eq!(measure("€"), (Encoding::Gsm7, 2));
        assert_eq!(measure("{x}"), (Encoding::Gsm7, 5));
        assert_eq!(segment_count(&"€".repeat(80), false), 1);
        assert_eq!(segment_count(&"€".repeat(81), false), 2);
        assert_eq!(segment_count(&format!("{}€", "a".repeat(159)), false), 2);
    }

    #[test]
    fn accented_gsm_letters_stay_gsm7_and_media_is_one_segment() {
        assert_eq!(measure("éàüÑ"), (Encoding::Gsm7, 4));
        assert_eq!(
            measure("ç"),
            (Encoding::Ucs2, 1),
            "only the capital Ç is in GSM 03.38"
        );
        assert_eq!(segment_count(&"a".repeat(1000), true), 1);
        assert_eq!(segment_count("", false), 1);
    }
}
