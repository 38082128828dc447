//! A file's footer and each column chunk's page headers, read and checked before the Parquet
//! library decodes them.
//!
//! Why: the library makes room for what a page claims before it reads it. For a page's
//! uncompressed size, Snappy fills the room with zeros first: a damaged 8 KB file claiming a
//! 1.3 GB page took 1.3 GB and two seconds (a fuzz finding; a claim can be up to 2 GB a page).
//! Snappy cannot grow its input more than about 21 times (a 3-byte copy writes at most 64 bytes),
//! so a Snappy page claiming more than [`SNAPPY_MOST`] times its compressed size is damaged, and
//! said so. For a dictionary page's count of values, each takes a byte at least. The library
//! keeps its page header type to itself: the few fields needed are read here from the Thrift
//! compact encoding (parquet-format's `PageHeader`: 2 `uncompressed_page_size`, 3
//! `compressed_page_size`, 7 `dictionary_page_header` whose 1 is `num_values`), and the rest of
//! each header is skipped by its encoding alone.

use parquet::basic::Compression;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::reader::{ChunkReader, Length};

/// How many times its compressed size a Snappy page may claim (with a little room for the
/// length Snappy writes first).
const SNAPPY_MOST: i64 = 32;

/// Checks every page header of a column chunk of `file`.
pub fn check_chunk(file: &std::fs::File, chunk: &ColumnChunkMetaData) -> Result<(), String> {
    let name = chunk.column_path().string();
    // As the library finds the chunk (its `byte_range`, which asserts where this says).
    let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
    let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(chunk.compressed_size())) else {
        return Err(format!("column {name}: a negative offset or size"));
    };
    if start.checked_add(len).is_none_or(|end| end > file.len()) {
        return Err(format!("column {name}: its pages would end past the end of the file"));
    }
    // Each header read alone (a few dozen bytes; a page is up to a megabyte): the pages are not
    // read twice.
    let mut at = 0u64;
    let mut page = 0;
    while at < len {
        page += 1;
        let damaged = |what: &str| format!("column {name}: page {page}: {what}");
        let (header, header_len) =
            read_header(file, start + at, len - at).ok_or_else(|| damaged("a damaged page header"))?;
        let (Some(uncompressed), Some(compressed)) = (header.uncompressed, header.compressed) else {
            return Err(damaged("a page header without its sizes"));
        };
        let end = u64::try_from(compressed).ok().and_then(|c| (at + header_len).checked_add(c));
        if uncompressed < 0 || end.is_none_or(|end| end > len) {
            return Err(damaged(&format!("sizes {uncompressed} and {compressed} do not fit the column")));
        }
        if chunk.compression() == Compression::SNAPPY && uncompressed > SNAPPY_MOST.saturating_mul(compressed) + 64 {
            return Err(damaged(&format!(
                "claims {uncompressed} bytes uncompressed from {compressed}, more than Snappy can give"
            )));
        }
        // The library makes room for a dictionary's values before reading them (a damaged count
        // asked for 55 GB, and the failed allocation aborted: a fuzz finding); each value takes
        // a byte at least.
        if let Some(values) = header.dictionary_values
            && (values < 0 || values > uncompressed)
        {
            return Err(damaged(&format!("a dictionary page says {values} values in {uncompressed} bytes")));
        }
        at = end.unwrap_or(len);
    }
    Ok(())
}

/// The page header at `at` of `file` (at most `most` bytes long), and its length: read from a
/// small window first, a larger one for a header with long statistics.
fn read_header(file: &std::fs::File, at: u64, most: u64) -> Option<(Header, u64)> {
    for window in [256, 64 << 10, most] {
        let window = window.min(most);
        let bytes = file.get_bytes(at, usize::try_from(window).ok()?).ok()?;
        let mut r = Compact { bytes: &bytes, at: 0 };
        if let Some(header) = r.page_header() {
            return Some((header, r.at as u64));
        }
        if window == most {
            break;
        }
    }
    None
}

/// The file's footer (its metadata, a Thrift compact struct before its length and `PAR1`) read
/// through once before the library decodes it: a damaged one can hold a list claiming billions of
/// elements that the library's decoder skips one by one (a second for an 8 KB file, a fuzz
/// finding); here each element takes a byte at least, so it ends at the end of the footer.
pub fn check_footer(file: &std::fs::File) -> Result<(), String> {
    let len = file.len();
    if len < 12 {
        // The library says what is wrong with a file this short.
        return Ok(());
    }
    let tail = file.get_bytes(len - 8, 8).map_err(|e| e.to_string())?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let size = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if size + 8 > len {
        return Ok(());
    }
    let bytes = file.get_bytes(len - 8 - size, size as usize).map_err(|e| e.to_string())?;
    let mut r = Compact { bytes: &bytes, at: 0 };
    match r.skip(12, 0) {
        Some(()) => Ok(()),
        None => Err("a damaged footer".to_string()),
    }
}

/// The fields of a page header checked here.
#[derive(Default)]
struct Header {
    uncompressed: Option<i64>,
    compressed: Option<i64>,
    /// A dictionary page's count of values (its `DictionaryPageHeader`'s field 1).
    dictionary_values: Option<i64>,
}

/// A reader of the Thrift compact encoding over `bytes` from `at`; `None` where it is damaged.
struct Compact<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// Structs inside structs skipped at most (a page header nests three deep).
const DEEPEST: u32 = 16;

impl Compact<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn zigzag(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn page_header(&mut self) -> Option<Header> {
        let mut header = Header::default();
        let mut id = 0i64;
        loop {
            let b = self.byte()?;
            if b == 0 {
                return Some(header);
            }
            id = if b >> 4 == 0 { self.zigzag()? } else { id + i64::from(b >> 4) };
            match (id, b & 0x0f) {
                (2, 5) => header.uncompressed = Some(self.zigzag()?),
                (3, 5) => header.compressed = Some(self.zigzag()?),
                (7, 12) => header.dictionary_values = self.first_i32()?,
                (_, kind) => self.skip(kind, 0)?,
            }
        }
    }

    /// A struct's field 1 when it is an `i32`, its other fields skipped.
    fn first_i32(&mut self) -> Option<Option<i64>> {
        let (mut first, mut id) = (None, 0i64);
        loop {
            let b = self.byte()?;
            if b == 0 {
                return Some(first);
            }
            id = if b >> 4 == 0 { self.zigzag()? } else { id + i64::from(b >> 4) };
            match (id, b & 0x0f) {
                (1, 5) => first = Some(self.zigzag()?),
                (_, kind) => self.skip(kind, 1)?,
            }
        }
    }

    /// Skips a value of compact type `kind`.
    fn skip(&mut self, kind: u8, depth: u32) -> Option<()> {
        match kind {
            // Booleans of a struct's fields are in the field header itself.
            1 | 2 => {}
            3 => self.at += 1,
            4..=6 => {
                self.varint()?;
            }
            7 => self.at += 8,
            8 => {
                let len = usize::try_from(self.varint()?).ok()?;
                self.at = self.at.checked_add(len)?;
            }
            9 | 10 => {
                let b = self.byte()?;
                let n = if b >> 4 == 15 { self.varint()? } else { u64::from(b >> 4) };
                // A list's booleans take a byte each.
                let element = if matches!(b & 0x0f, 1 | 2) { 3 } else { b & 0x0f };
                for _ in 0..n {
                    self.skip(element, depth + 1)?;
                }
            }
            11 => {
                let n = self.varint()?;
                if n > 0 {
                    let b = self.byte()?;
                    let (k, v) = (b >> 4, b & 0x0f);
                    let (k, v) = (if matches!(k, 1 | 2) { 3 } else { k }, if matches!(v, 1 | 2) { 3 } else { v });
                    for _ in 0..n {
                        self.skip(k, depth + 1)?;
                        self.skip(v, depth + 1)?;
                    }
                }
            }
            12 if depth < DEEPEST => loop {
                let b = self.byte()?;
                if b == 0 {
                    break;
                }
                if b >> 4 == 0 {
                    self.zigzag()?;
                }
                self.skip(b & 0x0f, depth + 1)?;
            },
            _ => return None,
        }
        (self.at <= self.bytes.len()).then_some(())
    }
}

#[cfg(test)]
mod tests {
    /// A footer whose first field is a list claiming a billion booleans in four bytes: refused at
    /// once (the library's decoder took a second to skip such a list one element at a time).
    #[test]
    fn a_footer_claiming_more_elements_than_bytes_is_damaged() {
        // Field 1, a list (type 9); its header: size 15 (a varint follows), booleans (type 1).
        let mut footer = vec![0x19, 0xf1];
        let mut n = 1_000_000_000u64;
        while n >= 0x80 {
            footer.push((n as u8) | 0x80);
            n >>= 7;
        }
        footer.push(n as u8);
        footer.extend_from_slice(&[1, 1, 1, 0]);
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        let path = std::env::temp_dir().join(format!("otelgrep-footer-{}.parquet", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let got = super::check_footer(&std::fs::File::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(got, Err("a damaged footer".to_string()));
    }
}
