//! The fast path of the simulator's decoder, for a record written the way docket writes case
//! records (`Case::to_json`, which is what the importer stores and the generator writes): the
//! fields of [`Case`](crate::domain::Case) in their order, no whitespace, no escapes. Such a record
//! is read straight through, each key compared as a literal and each string value handed to the
//! same deserializer the general path uses, so every value is checked by the same code.
//!
//! Anything else (another order, whitespace, an escape, a missing, unknown or repeated field, a
//! value of another shape) makes it give up, and the general path decides. It therefore accepts
//! only records the general path accepts, with the same values; a record it gives up on costs one
//! partial pass more.
//!
//! Why: serde_json's key-by-key parse (about sixty keys a record) was most of a simulation's CPU.

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, Error};

use super::{
    AddressRecord, CaseRecord, ConvictionRecord, CounselRecord, FactorsRecord, PetitionRecord,
    RespondentRecord,
};
use crate::domain::{Confidential, Flags};

/// Decodes a record in docket's canonical layout, or `None` when it is not exactly in it or a value
/// is refused (the general path then decides).
pub(super) fn decode(text: &str) -> Option<CaseRecord<'_>> {
    let mut c = Cursor { text, at: 0 };
    let case = CaseRecord {
        case_id: c.field(r#"{"case_id":"#)?,
        a_number: c.field(r#","a_number":"#)?,
        respondent: respondent(&mut c)?,
        court: c.field(r#","court":"#)?,
        case_type: c.field(r#","case_type":"#)?,
        custody: c.field(r#","custody":"#)?,
        filed_on: c.field(r#","filed_on":"#)?,
        entry_date: c.maybe(r#","entry_date":"#)?,
        next_hearing: c.maybe(r#","next_hearing":"#)?,
        final_order: c.flag(r#","final_order":"#)?,
        convictions: convictions(&mut c)?,
        flags: flags(&mut c)?,
        factors: factors(&mut c)?,
        confidential: confidential(&mut c)?,
        counsel: counsel(&mut c)?,
    };
    c.expect("}")?;
    (c.at == text.len()).then_some(case)
}

fn respondent<'a>(c: &mut Cursor<'a>) -> Option<RespondentRecord<'a>> {
    let r = RespondentRecord {
        given_name: c.field(r#","respondent":{"given_name":"#)?,
        family_name: c.field(r#","family_name":"#)?,
        birth_date: c.field(r#","birth_date":"#)?,
        nationality: c.field(r#","nationality":"#)?,
        language: c.field(r#","language":"#)?,
        address: {
            c.expect(r#","address":"#)?;
            address(c)?
        },
        email: c.maybe(r#","email":"#)?,
    };
    c.expect("}")?;
    Some(r)
}

/// An address object, from its `{` to its `}`.
fn address(c: &mut Cursor<'_>) -> Option<AddressRecord> {
    let a = AddressRecord {
        line1: c.field(r#"{"line1":"#)?,
        city: c.field(r#","city":"#)?,
        state: c.field(r#","state":"#)?,
        postal_code: c.field(r#","postal_code":"#)?,
    };
    c.expect("}")?;
    Some(a)
}

fn convictions(c: &mut Cursor<'_>) -> Option<Vec<ConvictionRecord>> {
    c.expect(r#","convictions":["#)?;
    let mut out = Vec::new();
    if c.eat("]") {
        return Some(out);
    }
    loop {
        out.push(ConvictionRecord {
            offense: c.field(r#"{"offense":"#)?,
            level: c.field(r#","level":"#)?,
            category: c.field(r#","category":"#)?,
            convicted_on: c.field(r#","convicted_on":"#)?,
        });
        c.expect("}")?;
        if c.eat("]") {
            return Some(out);
        }
        c.expect(",")?;
    }
}

fn flags(c: &mut Cursor<'_>) -> Option<Flags> {
    let f = Flags {
        national_security: c.flag(r#","flags":{"national_security":"#)?,
        gang: c.flag(r#","gang":"#)?,
        outstanding_warrant: c.flag(r#","outstanding_warrant":"#)?,
        prior_removal: c.flag(r#","prior_removal":"#)?,
        immigration_fraud: c.flag(r#","immigration_fraud":"#)?,
        fugitive: c.flag(r#","fugitive":"#)?,
    };
    c.expect("}")?;
    Some(f)
}

fn factors(c: &mut Cursor<'_>) -> Option<FactorsRecord> {
    let f = FactorsRecord {
        arrived_under_16: c.flag(r#","factors":{"arrived_under_16":"#)?,
        in_school_or_graduate: c.flag(r#","in_school_or_graduate":"#)?,
        military_service: c.flag(r#","military_service":"#)?,
        military_family: c.flag(r#","military_family":"#)?,
        crime_victim_or_witness: c.flag(r#","crime_victim_or_witness":"#)?,
        serious_health_condition: c.flag(r#","serious_health_condition":"#)?,
        primary_caretaker: c.flag(r#","primary_caretaker":"#)?,
        pregnant_or_nursing: c.flag(r#","pregnant_or_nursing":"#)?,
        usc_or_lpr_relatives: c.count(r#","usc_or_lpr_relatives":"#)?,
        lpr_since: c.maybe(r#","lpr_since":"#)?,
        cooperating_with_law_enforcement: c.flag(r#","cooperating_with_law_enforcement":"#)?,
        community_ties: c.flag(r#","community_ties":"#)?,
        pending_petition: petition(c)?,
    };
    c.expect("}")?;
    Some(f)
}

/// The pending petition field, `null` or an object, up to its end.
fn petition(c: &mut Cursor<'_>) -> Option<Option<PetitionRecord>> {
    c.expect(r#","pending_petition":"#)?;
    if c.eat("null") {
        return Some(None);
    }
    let p = PetitionRecord {
        form: c.field(r#"{"form":"#)?,
        status: c.field(r#","status":"#)?,
        relief_immediately_available: c.flag(r#","relief_immediately_available":"#)?,
    };
    c.expect("}")?;
    Some(Some(p))
}

fn confidential(c: &mut Cursor<'_>) -> Option<Confidential> {
    let f = Confidential {
        asylum_claim: c.flag(r#","confidential":{"asylum_claim":"#)?,
        vawa_t_u: c.flag(r#","vawa_t_u":"#)?,
    };
    c.expect("}")?;
    Some(f)
}

/// The counsel field, `null` or an object, up to its end.
fn counsel(c: &mut Cursor<'_>) -> Option<Option<CounselRecord>> {
    c.expect(r#","counsel":"#)?;
    if c.eat("null") {
        return Some(None);
    }
    let counsel = CounselRecord {
        name: c.field(r#"{"name":"#)?,
        eoir_id: c.field(r#","eoir_id":"#)?,
        email: c.maybe(r#","email":"#)?,
        address: {
            c.expect(r#","address":"#)?;
            if c.eat("null") {
                None
            } else {
                Some(address(c)?)
            }
        },
    };
    c.expect("}")?;
    Some(Some(counsel))
}

/// A position in the record.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// Takes `lit` when the text goes on with it.
    fn eat(&mut self, lit: &str) -> bool {
        let hit = self.text.as_bytes()[self.at..].starts_with(lit.as_bytes());
        if hit {
            self.at += lit.len();
        }
        hit
    }

    /// Takes `lit`, or gives up.
    fn expect(&mut self, lit: &str) -> Option<()> {
        self.eat(lit).then_some(())
    }

    /// A string without escapes or control characters (JSON refuses the latter unescaped),
    /// borrowed from the record.
    fn string(&mut self) -> Option<&'a str> {
        self.expect("\"")?;
        let rest = &self.text.as_bytes()[self.at..];
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        // The bytes around it are quotes, so the slice is on character boundaries.
        let value = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(value)
    }

    /// `key` (with the punctuation before it) and a string value, deserialized by `T`'s own
    /// deserializer as the general path does it.
    fn field<T: Deserialize<'a>>(&mut self, key: &str) -> Option<T> {
        self.expect(key)?;
        let value = self.string()?;
        T::deserialize(BorrowedStrDeserializer::<Error>::new(value)).ok()
    }

    /// `key` and `null` or a string value, as [`field`](Self::field) reads it.
    fn maybe<T: Deserialize<'a>>(&mut self, key: &str) -> Option<Option<T>> {
        self.expect(key)?;
        if self.eat("null") {
            return Some(None);
        }
        let value = self.string()?;
        T::deserialize(BorrowedStrDeserializer::<Error>::new(value))
            .ok()
            .map(Some)
    }

    /// `key` and `true` or `false`.
    fn flag(&mut self, key: &str) -> Option<bool> {
        self.expect(key)?;
        if self.eat("true") {
            Some(true)
        } else if self.eat("false") {
            Some(false)
        } else {
            None
        }
    }

    /// `key` and a count that fits 16 bits, written as JSON writes an integer: no sign, no
    /// leading zero, no fraction or exponent (what follows must be the next key).
    fn count(&mut self, key: &str) -> Option<u16> {
        self.expect(key)?;
        let rest = &self.text.as_bytes()[self.at..];
        let digits = rest
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || digits > 5 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        let value = rest[..digits]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        self.at += digits;
        u16::try_from(value).ok()
    }
}
