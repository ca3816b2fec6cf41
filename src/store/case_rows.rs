//! Case rows in `COPY`'s binary format, for both ways the import loads them (see
//! [`super::case_load`] and [`super::case_copy`]).
//!
//! Why binary: the text format makes PostgreSQL scan every byte of a 1.1 KB record for escapes
//! and the importer escape it first; in binary each field is a length and its bytes. Measured on
//! 300,000 cases loaded into `cases` without indexes: 3.4 s of backend CPU as text, 2.2 s as
//! binary (load average 4.6–5.0). A failed row is also reported without its value (text `COPY`
//! quotes the column's text in its error context, which may be personal data).

use crate::domain::{Case, facts_hash_hex};

/// The columns of `cases` a row carries, in the order [`push_row`] writes them.
pub const CASE_COLUMNS: &str =
    "case_id, court, case_type, custody, nationality, language, represented, record, facts_hash";

/// The binary format's signature, flags and header extension length.
pub const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The end of the data: a tuple with field count -1.
pub const TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// The columns of one case row, borrowed from whatever holds the case.
#[derive(Debug, Clone, Copy)]
pub struct CaseColumns<'a> {
    /// `case_id`.
    pub case_id: &'a str,
    /// `court`.
    pub court: &'a str,
    /// `case_type` (its EOIR code).
    pub case_type: &'a str,
    /// `custody` (its EOIR code).
    pub custody: &'a str,
    /// `nationality`.
    pub nationality: &'a str,
    /// `language`.
    pub language: &'a str,
    /// `represented`: whether counsel is of record.
    pub represented: bool,
}

impl<'a> CaseColumns<'a> {
    /// The columns of `case`.
    pub fn of(case: &'a Case) -> Self {
        CaseColumns {
            case_id: case.case_id.as_str(),
            court: case.court.as_str(),
            case_type: case.case_type.code(),
            custody: case.custody.code(),
            nationality: case.respondent.nationality.as_str(),
            language: case.respondent.language.as_str(),
            represented: case.counsel.is_some(),
        }
    }
}

/// Appends one case as a row to `buf`: its line number first when given (the staging table's
/// `line` column, a bigint), then [`CASE_COLUMNS`]. Text and `json` values are sent as their
/// UTF-8 text, `represented` as one byte.
pub fn push_row(buf: &mut Vec<u8>, line: Option<u64>, case: &Case) {
    push_columns(buf, line, &CaseColumns::of(case), |out| {
        out.extend_from_slice(case.to_json().as_bytes())
    });
}

/// Appends one row as [`push_row`] does, from its columns and `write_record`, which appends the
/// case's canonical JSON; the facts hash is computed from the bytes it wrote.
pub fn push_columns(
    buf: &mut Vec<u8>,
    line: Option<u64>,
    cols: &CaseColumns<'_>,
    write_record: impl FnOnce(&mut Vec<u8>),
) {
    let fields: i16 = if line.is_some() { 10 } else { 9 };
    buf.extend_from_slice(&fields.to_be_bytes());
    if let Some(line) = line {
        push_field(buf, &line.to_be_bytes());
    }
    for text in [
        cols.case_id,
        cols.court,
        cols.case_type,
        cols.custody,
        cols.nationality,
        cols.language,
    ] {
        push_field(buf, text.as_bytes());
    }
    push_field(buf, &[u8::from(cols.represented)]);
    let at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    write_record(buf);
    let len = i32::try_from(buf.len() - at - 4).expect("a record is far below 2 GiB");
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    let hash = facts_hash_hex(&buf[at + 4..]);
    push_field(buf, &hash);
}

/// Appends one field: its length as a big-endian i32, then its bytes.
fn push_field(buf: &mut Vec<u8>, value: &[u8]) {
    let len = i32::try_from(value.len()).expect("a field is far below 2 GiB");
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facts_hash;

    /// Splits a row written by [`push_row`] back into its fields.
    fn fields(mut row: &[u8]) -> Vec<Vec<u8>> {
        let n = i16::from_be_bytes([row[0], row[1]]);
        row = &row[2..];
        let mut out = Vec::new();
        for _ in 0..n {
            let len = i32::from_be_bytes(row[..4].try_into().unwrap()) as usize;
            out.push(row[4..4 + len].to_vec());
            row = &row[4 + len..];
        }
        assert!(row.is_empty(), "nothing after the last field");
        out
    }

    #[test]
    fn a_staged_row_has_its_line_then_every_column() {
        let case = crate::generate::case(7, 1);
        let mut buf = Vec::new();
        push_row(&mut buf, Some(42), &case);
        let f = fields(&buf);
        assert_eq!(f.len(), CASE_COLUMNS.split(',').count() + 1);
        assert_eq!(f[0], 42u64.to_be_bytes());
        assert_eq!(f[1], case.case_id.as_str().as_bytes());
        assert_eq!(f[7], [u8::from(case.counsel.is_some())]);
        assert_eq!(f[8], case.to_json().as_bytes());
        assert_eq!(f[9], facts_hash(&case.to_json()).as_bytes());
    }

    #[test]
    fn a_direct_row_has_the_case_columns_only() {
        let case = crate::generate::case(7, 2);
        let mut buf = Vec::new();
        push_row(&mut buf, None, &case);
        let f = fields(&buf);
        assert_eq!(f.len(), CASE_COLUMNS.split(',').count());
        assert_eq!(f[0], case.case_id.as_str().as_bytes());
    }

    #[test]
    fn the_header_and_trailer_are_the_formats_own() {
        assert_eq!(HEADER.len(), 11 + 4 + 4);
        assert_eq!(TRAILER, [0xff, 0xff]);
    }
}
