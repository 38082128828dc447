//! A text leaf encoded as a column chunk by otelgrep itself: a dictionary page of the distinct
//! values (PLAIN), one data page of their indices (RLE_DICTIONARY) after the leaf's levels (RLE),
//! each compressed with snappy, then handed to the parquet crate whole (`append_column`), which
//! writes the page headers and the file's metadata as for any other chunk.
//!
//! Why not the crate's column writer: it takes text as one refcounted `ByteArray` per value and
//! interns each through a generic path, which for the attribute maps (tens of values per span)
//! was a third of an export's time. Here a value is a slice of the leaf's one buffer, looked up in
//! one hash table. Only leaves without statistics go this way (`write.rs` chooses): the chunk has
//! no min/max and no bloom filter, as those columns had none before.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// A text leaf as written (`table::Values::Text` and its levels).
pub struct TextLeaf<'a> {
    pub data: &'a [u8],
    /// Where each value ends in `data`.
    pub ends: &'a [u32],
    /// Definition and repetition levels (empty when the column has none).
    pub def: &'a [i16],
    pub rep: &'a [i16],
    pub max_def: i16,
    pub max_rep: i16,
    /// Rows in the row group.
    pub rows: usize,
}

/// The encoded chunk (pages with their headers, from offset 0) and what the row group records of
/// it.
pub fn encode(descr: ColumnDescPtr, leaf: &TextLeaf) -> Result<(Bytes, ColumnCloseResult)> {
    let levels = if leaf.max_def > 0 { leaf.def.len() } else { leaf.ends.len() };
    let (dictionary, indices, distinct) = intern(leaf.data, leaf.ends);

    // The data page: levels, each prefixed by its length (data page v1), then the indices.
    let mut page = Vec::with_capacity(indices.len() + levels / 2 + 16);
    if leaf.max_rep > 0 {
        prefixed_levels(leaf.rep, leaf.max_rep, &mut page);
    }
    if leaf.max_def > 0 {
        prefixed_levels(leaf.def, leaf.max_def, &mut page);
    }
    let width = bits(distinct.saturating_sub(1)).max(1);
    if distinct > 0 {
        page.push(width);
        hybrid(&indices, width, &mut page);
    }

    let mut out = TrackedWrite::new(Vec::new());
    let mut pages = SerializedPageWriter::new(&mut out);
    let mut compressed = 0u64;
    let mut uncompressed = 0u64;
    let dictionary_at = if distinct > 0 {
        let spec = pages.write_page(CompressedPage::new(
            Page::DictionaryPage {
                buf: snappy(&dictionary)?,
                num_values: distinct,
                encoding: Encoding::PLAIN,
                is_sorted: false,
            },
            dictionary.len(),
        ))?;
        compressed += spec.compressed_size as u64;
        uncompressed += spec.uncompressed_size as u64;
        Some(spec.offset as i64)
    } else {
        None
    };
    let spec = pages.write_page(CompressedPage::new(
        Page::DataPage {
            buf: snappy(&page)?,
            num_values: u32::try_from(levels).map_err(|_| ParquetError::General("a row group too large".into()))?,
            // No value at all (every map empty): nothing to look up, plainly.
            encoding: if distinct > 0 { Encoding::RLE_DICTIONARY } else { Encoding::PLAIN },
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        },
        page.len(),
    ))?;
    compressed += spec.compressed_size as u64;
    uncompressed += spec.uncompressed_size as u64;
    let data_at = spec.offset as i64;
    // The page index every other chunk has (the library's file writer needs one for all or none).
    let mut locations = OffsetIndexBuilder::new();
    locations.append_row_count(leaf.rows as i64);
    locations.append_offset_and_size(data_at, spec.compressed_size as i32);
    pages.close()?;
    let bytes = Bytes::from(out.into_inner()?);

    let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
    if distinct > 0 {
        encodings.push(Encoding::RLE_DICTIONARY);
    }
    let metadata = ColumnChunkMetaData::builder(descr)
        .set_compression(Compression::SNAPPY)
        .set_encodings(encodings)
        .set_num_values(levels as i64)
        .set_total_compressed_size(compressed as i64)
        .set_total_uncompressed_size(uncompressed as i64)
        .set_dictionary_page_offset(dictionary_at)
        .set_data_page_offset(data_at)
        .build()?;
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: leaf.rows as u64,
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(locations.build()),
    };
    Ok((bytes, close))
}

/// The dictionary page's bytes (each distinct value as PLAIN writes it: its length, then it), each
/// value's index in it, and how many there are.
fn intern(data: &[u8], ends: &[u32]) -> (Vec<u8>, Vec<u32>, u32) {
    let mut table: HashMap<Text, u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(1024, foldhash::fast::FixedState::default());
    let mut dictionary = Vec::new();
    let mut indices = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for &end in ends {
        let value = &data[start..end as usize];
        start = end as usize;
        let n = table.len() as u32;
        let index = match table.entry(Text(value)) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                e.insert(n);
                dictionary.extend_from_slice(&(value.len() as u32).to_le_bytes());
                dictionary.extend_from_slice(value);
                n
            }
        };
        indices.push(index);
    }
    let distinct = table.len() as u32;
    (dictionary, indices, distinct)
}

/// A value as the dictionary's key: compared without a call for short texts (attribute keys and
/// values mostly are), where `memcmp` was a tenth of an export's time.
#[derive(Clone, Copy)]
struct Text<'a>(&'a [u8]);

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0, other.0);
        let n = a.len();
        if n != b.len() {
            return false;
        }
        let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
        let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
        match n {
            0 => true,
            // The first, middle and last bytes are all of them.
            1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
            // Two overlapping loads cover the whole text.
            4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
            8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
            _ => a == b,
        }
    }
}

impl Eq for Text<'_> {}

impl std::hash::Hash for Text<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(self.0);
    }
}

fn snappy(raw: &[u8]) -> Result<Bytes> {
    snap::raw::Encoder::new()
        .compress_vec(raw)
        .map(Bytes::from)
        .map_err(|e| ParquetError::General(format!("snappy: {e}")))
}

/// Bits needed for values up to `max`.
fn bits(max: u32) -> u8 {
    (32 - max.leading_zeros()) as u8
}

/// Levels as a data page v1 holds them: their encoded length (4 bytes, little-endian), then the
/// RLE/bit-packed hybrid.
fn prefixed_levels(levels: &[i16], max: i16, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    let levels: Vec<u32> = levels.iter().map(|&l| l as u32).collect();
    hybrid(&levels, bits(max as u32), out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Length of the run of equal values starting at `values[0]`, counted up to `cap`.
fn run(values: &[u32], cap: usize) -> usize {
    let first = values[0];
    values.iter().take(cap).take_while(|&&v| v == first).count()
}

/// Bit-packed groups in one run at most: its header is then one byte.
const MAX_GROUPS: usize = 63;

/// Parquet's RLE/bit-packed hybrid: runs of 8 or more equal values as one value and a count,
/// the rest bit-packed 8 at a time (only the last group is padded, so only past the last value).
fn hybrid(values: &[u32], width: u8, out: &mut Vec<u8>) {
    let value_bytes = usize::from(width).div_ceil(8);
    let mut i = 0;
    while i < values.len() {
        let n = run(&values[i..], usize::MAX);
        if n >= 8 {
            varint((n as u64) << 1, out);
            out.extend_from_slice(&values[i].to_le_bytes()[..value_bytes]);
            i += n;
            continue;
        }
        let header = out.len();
        out.push(0);
        let mut groups = 0;
        loop {
            let mut acc = 0u64;
            let mut filled = 0u32;
            for k in 0..8 {
                acc |= u64::from(values.get(i + k).copied().unwrap_or(0)) << filled;
                filled += u32::from(width);
                while filled >= 8 {
                    out.push(acc as u8);
                    acc >>= 8;
                    filled -= 8;
                }
            }
            groups += 1;
            i += 8;
            if i >= values.len() || groups == MAX_GROUPS || run(&values[i..], 8) == 8 {
                break;
            }
        }
        out[header] = ((groups << 1) | 1) as u8;
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hybrid decoded as the Parquet spec reads it.
    fn decode(mut bytes: &[u8], width: u8, count: usize) -> Vec<u32> {
        let mut out = Vec::new();
        while out.len() < count {
            let (mut header, mut shift) = (0u64, 0);
            loop {
                let b = bytes[0];
                bytes = &bytes[1..];
                header |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            if header & 1 == 1 {
                let n = (header >> 1) as usize * 8;
                let mut acc = 0u64;
                let mut have = 0;
                for _ in 0..n {
                    while have < u32::from(width) {
                        acc |= u64::from(bytes[0]) << have;
                        bytes = &bytes[1..];
                        have += 8;
                    }
                    out.push((acc & ((1u64 << width) - 1)) as u32);
                    acc >>= width;
                    have -= u32::from(width);
                }
            } else {
                let nb = usize::from(width).div_ceil(8);
                let mut v = [0u8; 4];
                v[..nb].copy_from_slice(&bytes[..nb]);
                bytes = &bytes[nb..];
                out.extend(std::iter::repeat_n(u32::from_le_bytes(v), (header >> 1) as usize));
            }
        }
        assert!(bytes.is_empty(), "bytes left after {count} values");
        out.truncate(count);
        out
    }

    #[test]
    fn the_hybrid_gives_back_its_values_with_runs_and_packs_mixed() {
        let mut values: Vec<u32> = (0..37).map(|i| i * 7 % 13).collect();
        values.extend(std::iter::repeat_n(5, 20));
        values.extend([1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
        values.extend((0..1000).map(|i| i % 3));
        values.extend(std::iter::repeat_n(12, 3));
        for width in [4, 9, 17, 32] {
            let mut out = Vec::new();
            hybrid(&values, width, &mut out);
            assert_eq!(decode(&out, width, values.len()), values, "width {width}");
        }
        let mut out = Vec::new();
        hybrid(&[1; 100], 1, &mut out);
        assert_eq!(out, [200, 1, 1], "one run: its count, then its value");
    }

    #[test]
    fn texts_are_equal_exactly_when_their_bytes_are() {
        let texts: Vec<Vec<u8>> = (0..40)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                // The same length, one byte different at each place.
                let mut variants = vec![base.clone()];
                for i in 0..n {
                    let mut v = base.clone();
                    v[i] ^= 1;
                    variants.push(v);
                }
                variants
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(Text(a) == Text(b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn values_are_interned_in_order_of_first_sight() {
        let data = b"ababcb";
        let (dictionary, indices, distinct) = intern(data, &[1, 2, 3, 4, 5, 6]);
        assert_eq!((indices, distinct), (vec![0, 1, 0, 1, 2, 1], 3));
        assert_eq!(dictionary, b"\x01\0\0\0a\x01\0\0\0b\x01\0\0\0c");
    }
}
