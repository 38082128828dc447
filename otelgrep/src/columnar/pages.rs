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
//! `compressed_page_size`, 7 `dictionary_page_header` whose 1 is `num_values`), and every other
//! field of a header, and the whole footer, is checked against its type (`thrift.rs`: the
//! library reads a field as its own type whatever its encoding says, and goes on out of step).

use parquet::basic::Compression;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::reader::{ChunkReader, Length};

use crate::columnar::thrift::{Compact, Struct};

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
/// finding); here each element takes a byte at least, so it ends at the end of the footer, and
/// each known field is of its type, so the library reads it in step (see `thrift.rs`).
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
    match r.walk(Struct::FileMetaData, 0) {
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

impl Compact<'_> {
    /// A page header: its sizes and a dictionary's count of values read, every field checked
    /// against its type.
    fn page_header(&mut self) -> Option<Header> {
        let mut header = Header::default();
        let mut last = 0;
        while let Some((id, kind)) = self.field_header(last)? {
            match (id, kind) {
                (2, 5) => header.uncompressed = Some(self.zigzag()?),
                (3, 5) => header.compressed = Some(self.zigzag()?),
                (7, 12) => header.dictionary_values = self.dictionary_values()?,
                _ => self.value(Struct::PageHeader, id, kind, 0)?,
            }
            last = id;
        }
        Some(header)
    }

    /// A `DictionaryPageHeader`'s field 1 (`num_values`), its other fields checked.
    fn dictionary_values(&mut self) -> Option<Option<i64>> {
        let (mut values, mut last) = (None, 0);
        while let Some((id, kind)) = self.field_header(last)? {
            match (id, kind) {
                (1, 5) => values = Some(self.zigzag()?),
                _ => self.value(Struct::DictionaryPageHeader, id, kind, 1)?,
            }
            last = id;
        }
        Some(values)
    }
}

#[cfg(test)]
mod tests {
    /// `check_footer` on a file of nothing but `footer`.
    fn check(footer: &[u8], name: &str) -> Result<(), String> {
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        let path = std::env::temp_dir().join(format!("otelgrep-{name}-{}.parquet", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let got = super::check_footer(&std::fs::File::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        got
    }

    /// A footer whose field of no known type is a list claiming a billion booleans in four
    /// bytes: refused at once (the library's decoder took a second to skip such a list one
    /// element at a time).
    #[test]
    fn a_footer_claiming_more_elements_than_bytes_is_damaged() {
        // Field 100 (its id after the header: zigzag 200), a list (type 9); its header: size 15
        // (a varint follows), booleans (type 1).
        let mut footer = vec![0x09, 0xc8, 0x01, 0xf1];
        let mut n = 1_000_000_000u64;
        while n >= 0x80 {
            footer.push((n as u8) | 0x80);
            n >>= 7;
        }
        footer.push(n as u8);
        footer.extend_from_slice(&[1, 1, 1, 0]);
        assert_eq!(check(&footer, "long-list"), Err("a damaged footer".to_string()));
        // Claiming three, it is a footer (of nothing the library wants, which the library says).
        assert_eq!(check(&[0x09, 0xc8, 0x01, 0x31, 1, 1, 1, 0], "short-list"), Ok(()));
    }

    /// A known field encoded as another type: the library reads it as its own type from bytes
    /// that are something else, and goes on out of step (a fuzz finding: half a second for a
    /// 4 KB footer). Skipped by its encoding alone, this footer is whole.
    #[test]
    fn a_known_field_of_another_type_is_damage() {
        // FileMetaData field 4 (`row_groups`), a list of one struct; that row group's field 1
        // (`columns`, a list) says "true", a boolean.
        let footer = [0x49, 0x1c, 0x11, 0x00, 0x00];
        let mut generic = crate::columnar::thrift::Compact { bytes: &footer, at: 0 };
        assert_eq!(generic.skip(12, 0), Some(()));
        assert_eq!(check(&footer, "typed"), Err("a damaged footer".to_string()));
        // As a list of no column, it is in step.
        assert_eq!(check(&[0x49, 0x1c, 0x19, 0x0c, 0x00, 0x00], "typed-ok"), Ok(()));
    }
}
