//! String fields decoded without building the field types: each is checked by its type's own
//! `check` and then either dropped ([`Checked`]) or kept borrowed from the input when it has no
//! escapes ([`Kept`]). Decoders that must accept exactly what [`Case`](super::Case) accepts, but
//! do not need a `Case` (the simulator's, the importer's), are built from these.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, Error, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::fields::{
    ANumber, CaseId, CountryCode, CourtCode, EmailAddress, EoirId, LanguageCode, ShortText,
    StateCode,
};

/// A field type's check of a string value, as its deserializer applies it.
pub(crate) trait Check {
    /// What the decoder says it expects.
    const EXPECTING: &'static str;
    /// The field type's own check.
    fn check(value: &str) -> Result<(), String>;
}

/// Implements [`Check`] with each type's own `check`.
macro_rules! checks {
    ($($t:ty),+) => {$(
        impl Check for $t {
            const EXPECTING: &'static str = "a string";
            fn check(value: &str) -> Result<(), String> {
                <$t>::check(value)
            }
        }
    )+};
}

checks!(
    ANumber,
    CaseId,
    CountryCode,
    CourtCode,
    EmailAddress,
    EoirId,
    LanguageCode,
    ShortText,
    StateCode
);

/// A string field checked as `T` checks it, and dropped.
pub(crate) struct Checked<T>(PhantomData<T>);

/// A string field checked as `T` checks it, and kept, borrowed from the record when it has no
/// escapes. Serializes as the string it holds.
pub(crate) struct Kept<'a, T>(pub(crate) Cow<'a, str>, PhantomData<T>);

impl<T> Kept<'_, T> {
    /// The value.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Visits one string, checks it as `T` and hands it on borrowed or copied.
struct CheckedStr<T>(PhantomData<T>);

impl<'de, T: Check> Visitor<'de> for CheckedStr<T> {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
        T::check(v).map_err(E::custom)?;
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        T::check(v).map_err(E::custom)?;
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Visits one string and checks it as `T`, keeping nothing.
struct DroppedStr<T>(PhantomData<T>);

impl<T: Check> Visitor<'_> for DroppedStr<T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
        T::check(v).map_err(E::custom)
    }
}

impl<'de, T: Check> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DroppedStr::<T>(PhantomData))?;
        Ok(Checked(PhantomData))
    }
}

impl<'de: 'a, 'a, T: Check> Deserialize<'de> for Kept<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = d.deserialize_str(CheckedStr::<T>(PhantomData))?;
        Ok(Kept(value, PhantomData))
    }
}

impl<T> Serialize for Kept<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An A-number checked and normalised as [`ANumber`] does it, without allocating: serializes
/// as its normalised form, `A` + 9 digits.
pub(crate) struct NormalANumber([u8; 10]);

impl NormalANumber {
    /// The normalised form.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII digits")
    }
}

/// Visits one string and normalises it as an A-number.
struct ANumberStr;

impl Visitor<'_> for ANumberStr {
    type Value = NormalANumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(<ANumber as Check>::EXPECTING)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<NormalANumber, E> {
        ANumber::normalised(v).map(NormalANumber).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for NormalANumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ANumberStr)
    }
}

impl Serialize for NormalANumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
