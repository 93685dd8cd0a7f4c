//! What a `message-failed` code says about the sending number (contract-2 §9). Pure.

/// The scope a failure code counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Spam filtering (4470 Bandwidth, 4770 carrier): a strike against the number, or against
    /// the text when several numbers fail with it.
    Spam,
    /// A block downstream (4772): a strike against the number (counted once per contact).
    Block,
    /// The sending number is barred (4481): retired at once.
    Blacklisted,
    /// A volumetric violation of the number (4785): the number pauses.
    NumberVolume,
    /// T-Mobile's brand daily cap (4780): the campaign pauses until midnight Pacific time.
    DailyCap,
    /// AT&T's campaign rate or throttling (4781): the campaign pauses for a while.
    CampaignVolume,
    /// Anything else — the contact (4720, 4721, 4702, 4406, 4434, 4482, 4775), the content
    /// (4771), media, provisioning or transient failures: never counts against the number.
    Ignored,
}

/// The class of a failure code.
pub fn classify(code: i32) -> Class {
    match code {
        4470 | 4770 => Class::Spam,
        4772 => Class::Block,
        4481 => Class::Blacklisted,
        4785 => Class::NumberVolume,
        4780 => Class::DailyCap,
        4781 => Class::CampaignVolume,
        _ => Class::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_level_codes_never_count_against_the_number() {
        for code in [
            4720, 4721, 4702, 4406, 4434, 4482, 4775, 4771, 4750, 5620, 9902,
        ] {
            assert_eq!(classify(code), Class::Ignored, "{code}");
        }
        assert_eq!(classify(4470), Class::Spam);
        assert_eq!(classify(4770), Class::Spam);
        assert_eq!(classify(4481), Class::Blacklisted);
        assert_eq!(classify(4785), Class::NumberVolume);
    }
}
