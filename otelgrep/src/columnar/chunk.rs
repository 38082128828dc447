//! A text leaf encoded as a column chunk by otelgrep itself, then handed to the parquet crate
//! whole (`append_column`), which writes the file's metadata as for any other chunk: a dictionary
//! page of the distinct values (PLAIN) and one data page of the leaf's levels (RLE) and the
//! values' indices (RLE_DICTIONARY), or for ids, which never repeat, one data page of the values
//! themselves (PLAIN); each page compressed with snappy, its header written by the crate's page
//! writer. Min/max statistics where the leaf asks for them (the columns engines prune by).
//!
//! Why not the crate's column writer: it takes text as one refcounted `ByteArray` per value and
//! interns each through a generic path, which for the attribute maps (tens of values per span)
//! was a third of an export's time. Here a value is a slice of the leaf's one buffer, looked up in
//! one hash table, and min and max are found among the distinct values only.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use bytes::Bytes;
use parquet::basic::{Compression, Encoding};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// A text leaf as written (`table::Values::Text` and its levels), and how to write it.
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
    /// Values looked up in a dictionary (false: written as they are).
    pub dictionary: bool,
    /// The chunk's min, max and null count recorded.
    pub statistics: bool,
}

/// Buffers a row group's text leaves are encoded in, one leaf after another (allocated per leaf,
/// they were fresh pages from the system each time, zeroed by the kernel: an export's system time
/// was 0.3-0.8 s per GB, 0.2-0.3 s with these).
#[derive(Default)]
pub struct Scratch {
    indices: Vec<u32>,
    dictionary: Vec<u8>,
    page: Vec<u8>,
    /// A page compressed.
    squeezed: Vec<u8>,
    /// The encoded chunk: its pages with their headers, from offset 0.
    pub chunk: Vec<u8>,
}

/// Encodes a leaf into `scratch.chunk`; gives what the row group records of it.
pub fn encode(descr: ColumnDescPtr, leaf: &TextLeaf, scratch: &mut Scratch) -> Result<ColumnCloseResult> {
    let levels = if leaf.max_def > 0 { leaf.def.len() } else { leaf.ends.len() };
    let Scratch { indices, dictionary, page, squeezed, chunk } = scratch;
    page.clear();
    dictionary.clear();
    // The data page: levels, each prefixed by its length (data page v1), then the values.
    if leaf.max_rep > 0 {
        prefixed_levels(leaf.rep, leaf.max_rep, page);
    }
    if leaf.max_def > 0 {
        prefixed_levels(leaf.def, leaf.max_def, page);
    }
    let distinct = if leaf.dictionary {
        let distinct = intern(leaf.data, leaf.ends, dictionary, indices);
        if distinct > 0 {
            let width = bits(distinct - 1).max(1);
            page.push(width);
            hybrid(indices, |i| i, width, page);
        }
        distinct
    } else {
        plain(leaf.data, leaf.ends, page);
        0
    };

    chunk.clear();
    let mut out = TrackedWrite::new(std::mem::take(chunk));
    let mut pages = SerializedPageWriter::new(&mut out);
    let (mut compressed, mut uncompressed) = (0u64, 0u64);
    // Writes a page (its header first) and counts its sizes, headers included.
    let mut write = |page: Page, raw: usize| {
        let spec = pages.write_page(CompressedPage::new(page, raw))?;
        compressed += spec.compressed_size as u64;
        uncompressed += spec.uncompressed_size as u64;
        Ok::<_, ParquetError>(spec)
    };
    let dictionary_at = if distinct > 0 {
        let buf = snappy(dictionary, squeezed)?;
        let page = Page::DictionaryPage { buf, num_values: distinct, encoding: Encoding::PLAIN, is_sorted: false };
        Some(write(page, dictionary.len())?.offset as i64)
    } else {
        None
    };
    let page_bytes = page.len();
    let spec = write(
        Page::DataPage {
            buf: snappy(page, squeezed)?,
            num_values: u32::try_from(levels).map_err(|_| ParquetError::General("a row group too large".into()))?,
            // Without a dictionary (ids, or no value at all: every map empty), values as they are.
            encoding: if distinct > 0 { Encoding::RLE_DICTIONARY } else { Encoding::PLAIN },
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        },
        page_bytes,
    )?;
    let data_at = spec.offset as i64;
    // The page index every other chunk has (the library's file writer needs one for all or none).
    let mut locations = OffsetIndexBuilder::new();
    locations.append_row_count(leaf.rows as i64);
    locations.append_offset_and_size(data_at, spec.compressed_size as i32);
    pages.close()?;
    *chunk = out.into_inner()?;

    let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
    if distinct > 0 {
        encodings.push(Encoding::RLE_DICTIONARY);
    }
    let mut metadata = ColumnChunkMetaData::builder(descr)
        .set_compression(Compression::SNAPPY)
        .set_encodings(encodings)
        .set_num_values(levels as i64)
        .set_total_compressed_size(compressed as i64)
        .set_total_uncompressed_size(uncompressed as i64)
        .set_dictionary_page_offset(dictionary_at)
        .set_data_page_offset(data_at);
    if leaf.statistics {
        let (min, max) =
            if leaf.dictionary { min_max(entries(dictionary)) } else { min_max(values(leaf.data, leaf.ends)) };
        let nulls = if leaf.max_def > 0 { leaf.def.iter().filter(|&&d| d < leaf.max_def).count() } else { 0 };
        let text = |v: &[u8]| ByteArray::from(v.to_vec());
        metadata = metadata.set_statistics(Statistics::byte_array(
            min.map(text),
            max.map(text),
            None,
            Some(nulls as u64),
            false,
        ));
    }
    Ok(ColumnCloseResult {
        bytes_written: chunk.len() as u64,
        rows_written: leaf.rows as u64,
        metadata: metadata.build()?,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(locations.build()),
    })
}

/// An encoded chunk as the library reads one to append it.
pub struct Chunk<'a>(pub &'a [u8]);

impl parquet::file::reader::Length for Chunk<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

impl<'a> parquet::file::reader::ChunkReader for Chunk<'a> {
    type T = &'a [u8];

    fn get_read(&self, start: u64) -> Result<&'a [u8]> {
        self.0.get(start as usize..).ok_or_else(|| ParquetError::EOF("past the chunk's end".into()))
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let range = start as usize..(start as usize).saturating_add(length);
        self.0.get(range).map(Bytes::copy_from_slice).ok_or_else(|| ParquetError::EOF("past the chunk's end".into()))
    }
}

/// Values as PLAIN writes them: each one's length (4 bytes, little-endian), then it.
fn plain(data: &[u8], ends: &[u32], out: &mut Vec<u8>) {
    out.reserve(data.len() + 4 * ends.len());
    for value in values(data, ends) {
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }
}

/// A leaf's values: slices of its buffer.
fn values<'a>(data: &'a [u8], ends: &'a [u32]) -> impl Iterator<Item = &'a [u8]> {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let value = &data[start..end as usize];
        start = end as usize;
        value
    })
}

/// The values of PLAIN-encoded bytes (a dictionary page's).
fn entries(mut plain: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (len, rest) = plain.split_first_chunk::<4>()?;
        let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
        let (value, rest) = rest.split_at(len);
        plain = rest;
        Some(value)
    })
}

/// The least and greatest of values, compared as Parquet orders text (bytes, unsigned).
fn min_max<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> (Option<&'a [u8]>, Option<&'a [u8]>) {
    let Some(first) = values.next() else { return (None, None) };
    let (min, max) = values.fold((first, first), |(min, max), v| (min.min(v), max.max(v)));
    (Some(min), Some(max))
}

/// Fills `dictionary` with the distinct values as PLAIN writes them (its length, then it), and
/// `indices` with each value's place among them; gives how many there are.
fn intern(data: &[u8], ends: &[u32], dictionary: &mut Vec<u8>, indices: &mut Vec<u32>) -> u32 {
    let mut table: HashMap<Text, u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(1024, foldhash::fast::FixedState::default());
    dictionary.clear();
    indices.clear();
    indices.reserve(ends.len());
    for value in values(data, ends) {
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
    table.len() as u32
}

/// A value as the dictionary's key: compared without a call for short texts (attribute keys and
/// values mostly are), where the table's `memcmp` calls were 7% of an export's samples.
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

/// A page's bytes compressed (in `squeezed`, used again), as the page takes them.
fn snappy(raw: &[u8], squeezed: &mut Vec<u8>) -> Result<Bytes> {
    squeezed.resize(snap::raw::max_compress_len(raw.len()), 0);
    let n =
        snap::raw::Encoder::new().compress(raw, squeezed).map_err(|e| ParquetError::General(format!("snappy: {e}")))?;
    Ok(Bytes::copy_from_slice(&squeezed[..n]))
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
    hybrid(levels, |l| l as u32, bits(max as u32), out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Length of the run of equal values starting at `values[0]`, counted up to `cap`.
fn run<T: Copy + PartialEq>(values: &[T], cap: usize) -> usize {
    let first = values[0];
    values.iter().take(cap).take_while(|&&v| v == first).count()
}

/// Bit-packed groups in one run at most: its header is then one byte.
const MAX_GROUPS: usize = 63;

/// Parquet's RLE/bit-packed hybrid of `values` (each as `number` gives it): runs of 8 or more
/// equal values as one value and a count, the rest bit-packed 8 at a time (only the last group is
/// padded, so only past the last value).
fn hybrid<T: Copy + PartialEq>(values: &[T], number: impl Fn(T) -> u32, width: u8, out: &mut Vec<u8>) {
    let value_bytes = usize::from(width).div_ceil(8);
    let mut i = 0;
    while i < values.len() {
        let n = run(&values[i..], usize::MAX);
        if n >= 8 {
            varint((n as u64) << 1, out);
            out.extend_from_slice(&number(values[i]).to_le_bytes()[..value_bytes]);
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
                acc |= u64::from(values.get(i + k).map_or(0, |&v| number(v))) << filled;
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
mod tests;
