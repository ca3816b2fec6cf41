//! A generated backlog read as NDJSON, one case at a time: the bench imports it without holding
//! the file in memory or writing it to disk.

use std::io::{self, BufRead, Read};
use std::time::{Duration, Instant};

/// The NDJSON of `count` generated cases from `seed`, produced line by line as it is read.
pub struct Backlog {
    seed: u64,
    next: u64,
    count: u64,
    line: Vec<u8>,
    pos: usize,
    generating: Duration,
}

impl Backlog {
    /// The backlog of `count` cases from `seed`.
    pub fn new(count: usize, seed: u64) -> Backlog {
        Backlog {
            seed,
            next: 0,
            count: count as u64,
            line: Vec::new(),
            pos: 0,
            generating: Duration::ZERO,
        }
    }

    /// Time spent generating cases so far (the rest of a reader's time is its own).
    pub fn generating(&self) -> Duration {
        self.generating
    }
}

impl Read for Backlog {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Backlog {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.line.len() && self.next < self.count {
            let t = Instant::now();
            let case = crate::generate::case(self.seed, self.next);
            self.line.clear();
            self.line.extend_from_slice(case.to_json().as_bytes());
            self.line.push(b'\n');
            self.pos = 0;
            self.next += 1;
            self.generating += t.elapsed();
        }
        Ok(&self.line[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.line.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_same_lines_as_the_generator_writes() {
        let mut written = Vec::new();
        crate::generate::write_ndjson(&mut written, 25, 9).unwrap();
        let mut read = Vec::new();
        Backlog::new(25, 9).read_to_end(&mut read).unwrap();
        assert_eq!(read, written);
        assert_eq!(Backlog::new(3, 9).lines().count(), 3);
    }
}
