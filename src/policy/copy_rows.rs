//! PostgreSQL's binary `COPY` format, as `COPY ... TO STDOUT (FORMAT binary)` sends it: a header
//! (an 11-byte signature, a 32-bit flags field, a 32-bit length and that many bytes of extension),
//! then one tuple after another (a 16-bit field count, then per field a 32-bit length, -1 for
//! NULL, and that many bytes), then a trailer (a field count of -1). Integers are big-endian.
//! Fields of type `text` or `json` are their UTF-8 text as stored, with no quoting or escaping, so
//! a case record is handed to the decoder byte for byte.

/// The signature every binary `COPY` stream starts with.
pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// A stream that does not follow the format (a bug, never data: no value is quoted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("binary COPY stream: {0}")]
pub struct FormatError(&'static str);

impl FormatError {
    /// The stream ended before its trailer.
    pub const TRUNCATED: FormatError = FormatError("ended without its trailer");
}

/// What starts a piece of a stream past its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A whole tuple of this many bytes.
    Row(usize),
    /// The trailer: the stream ends here.
    Trailer,
    /// Only part of a tuple (or nothing): more bytes are needed.
    Incomplete,
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The length of the header at the start of `bytes`, or `None` while it is not all there.
pub fn header_len(bytes: &[u8]) -> Result<Option<usize>, FormatError> {
    let start = &bytes[..bytes.len().min(SIGNATURE.len())];
    if !SIGNATURE.starts_with(start) {
        return Err(FormatError("no signature"));
    }
    let Some(extension) = be_u32(bytes, SIGNATURE.len() + 4) else {
        return Ok(None);
    };
    let len = SIGNATURE.len() + 8 + extension as usize;
    Ok((bytes.len() >= len).then_some(len))
}

/// What starts `bytes`, which starts at a tuple or at the trailer.
pub fn next(bytes: &[u8]) -> Result<Next, FormatError> {
    let Some(count) = bytes.get(..2) else {
        return Ok(Next::Incomplete);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    if count == -1 {
        return Ok(Next::Trailer);
    }
    if count < 0 {
        return Err(FormatError("negative field count"));
    }
    let mut at = 2;
    for _ in 0..count {
        let Some(len) = be_u32(bytes, at) else {
            return Ok(Next::Incomplete);
        };
        at += 4;
        match len as i32 {
            -1 => {}
            n if n < 0 => return Err(FormatError("negative field length")),
            n => at += n as usize,
        }
    }
    Ok(if at <= bytes.len() {
        Next::Row(at)
    } else {
        Next::Incomplete
    })
}

/// The fields of each tuple of `bytes`, whole tuples of `N` fields checked by [`next`] (`None`:
/// NULL), up to the trailer or the end. A tuple of another field count ends the iteration.
pub fn rows<const N: usize>(bytes: &[u8]) -> impl Iterator<Item = [Option<&[u8]>; N]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let Ok(Next::Row(len)) = next(rest) else {
            return None;
        };
        let (row, after) = rest.split_at(len);
        rest = after;
        fields(row)
    })
}

/// The `N` fields of one whole tuple.
fn fields<const N: usize>(row: &[u8]) -> Option<[Option<&[u8]>; N]> {
    if i16::from_be_bytes([row[0], row[1]]) as usize != N {
        return None;
    }
    let mut out = [None; N];
    let mut at = 2;
    for field in &mut out {
        let len = be_u32(row, at)? as i32;
        at += 4;
        if len >= 0 {
            let end = at + len as usize;
            *field = Some(row.get(at..end)?);
            at = end;
        }
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stream in the format: the header (with `extension` bytes), the tuples, the trailer.
    pub(crate) fn stream(extension: &[u8], tuples: &[Vec<Option<&[u8]>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&(extension.len() as u32).to_be_bytes());
        out.extend_from_slice(extension);
        for t in tuples {
            out.extend_from_slice(&(t.len() as i16).to_be_bytes());
            for f in t {
                match f {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(b) => {
                        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                        out.extend_from_slice(b);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn the_header_is_found_whole_or_asked_for_and_a_wrong_start_is_refused() {
        let s = stream(b"ext", &[]);
        assert_eq!(header_len(&s), Ok(Some(22)));
        assert_eq!(header_len(&s[..21]), Ok(None));
        assert_eq!(header_len(&s[..5]), Ok(None));
        assert!(header_len(b"PGCOPX\n").is_err());
        assert!(header_len(b"{\"case_id\"").is_err());
    }

    #[test]
    fn tuples_are_walked_by_their_lengths_with_nulls_and_empty_fields() {
        let tuples = vec![
            vec![
                Some(&b"offer_recommended"[..]),
                Some(&b"{\"a\":\"\\\\t\"}"[..]),
            ],
            vec![None, Some(&b""[..])],
        ];
        let s = stream(b"", &tuples);
        let body = &s[19..];
        let Ok(Next::Row(first)) = next(body) else {
            panic!("a whole tuple")
        };
        assert_eq!(first, 2 + 4 + 17 + 4 + tuples[0][1].map_or(0, <[u8]>::len));
        assert_eq!(next(&body[first..]), Ok(Next::Row(2 + 4 + 4)));
        assert_eq!(next(&body[first + 10..]), Ok(Next::Trailer));
        let read: Vec<[Option<&[u8]>; 2]> = rows(body).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], [tuples[0][0], tuples[0][1]]);
        assert_eq!(read[1], [None, Some(&b""[..])]);
        // Every cut inside a tuple asks for more; none is taken for a tuple.
        for cut in 0..first {
            assert_eq!(next(&body[..cut]), Ok(Next::Incomplete), "cut at {cut}");
        }
        assert_eq!(rows::<2>(&body[..first - 1]).count(), 0);
        assert_eq!(rows::<3>(body).count(), 0);
    }
}
