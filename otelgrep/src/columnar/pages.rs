//! A column chunk's page headers, read and checked before the Parquet library decodes its pages.
//!
//! Why: the library makes room for a page's claimed uncompressed size before it decompresses
//! (Snappy fills the room with zeros first), and a damaged 8 KB file claiming a 1.3 GB page took
//! 1.3 GB and two seconds (a fuzz finding); the claim can be up to 2 GB a page. Snappy cannot grow
//! its input more than about 21 times (a 3-byte copy writes at most 64 bytes), so a Snappy page
//! claiming more than [`SNAPPY_MOST`] times its compressed size is damaged, and said so. The
//! library keeps its page header type to itself: the few fields needed are read here from the
//! Thrift compact encoding (parquet-format's `PageHeader`: 2 `uncompressed_page_size`, 3
//! `compressed_page_size`), and the rest of each header is skipped by its encoding alone.

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

/// The fields of a page header checked here.
#[derive(Default)]
struct Header {
    uncompressed: Option<i64>,
    compressed: Option<i64>,
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
                (_, kind) => self.skip(kind, 0)?,
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
