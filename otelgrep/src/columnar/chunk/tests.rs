//! `chunk.rs` checked: the hybrid decoded as the spec reads it, interning, statistics, and
//! leaves of every shape read back by the parquet crate's own reader.

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

/// Leaves of every shape the export writes (optional, list, list of maps), with and without a
/// dictionary, read back by the parquet crate's own column reader: the same values and levels.
/// Values from a vocabulary grown as rows go (dictionaries of 1 to thousands of entries, so
/// index widths from 1 to 13 bits), in runs and scattered, some empty, some long.
#[test]
fn leaves_read_back_by_the_parquet_crate_as_written() {
    use crate::columnar::table::{Leaf, Shape, col, schema};
    use parquet::column::reader::ColumnReader;
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;

    let columns = [
        col("a", Shape::Optional(Leaf::Str)),
        col("b", Shape::List(Leaf::Str)),
        col("c", Shape::ListOfMaps),
        col("d", Shape::Required(Leaf::Str)),
    ];
    let columns: &'static [_] = Box::leak(Box::new(columns));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| crate::xorshift(&mut seed) % n.max(1);
    for (round, rows) in [(0, 1), (1, 3), (2, 5_000), (3, 20_000)] {
        // Per leaf: values (data, ends), def, rep.
        let leaves = columns.iter().map(|c| c.shape.leaves()).sum::<usize>();
        let mut data = vec![(Vec::<u8>::new(), Vec::<u32>::new(), Vec::<i16>::new(), Vec::<i16>::new()); leaves];
        let value = |leaf: &mut (Vec<u8>, Vec<u32>, Vec<i16>, Vec<i16>), row: u64, next: &mut dyn FnMut(u64) -> u64| {
            let text = match next(10) {
                0 => String::new(),
                1 => "x".repeat(next(300) as usize),
                2..=5 => format!("v{}", next(row / 4 + 1)),
                _ => format!("k{}", next(3)),
            };
            leaf.0.extend_from_slice(text.as_bytes());
            leaf.1.push(leaf.0.len() as u32);
        };
        for row in 0..rows {
            // a: optional.
            if next(4) == 0 {
                data[0].2.push(0);
            } else {
                data[0].2.push(1);
                value(&mut data[0], row, &mut next);
            }
            // b: a list of 0 to 4.
            let n = next(5);
            if n == 0 {
                data[1].2.push(0);
                data[1].3.push(0);
            }
            for i in 0..n {
                data[1].2.push(1);
                data[1].3.push(i16::from(i > 0));
                value(&mut data[1], row, &mut next);
            }
            // c: a list of 0 to 3 maps of 0 to 3 entries (keys and values).
            let maps = next(4);
            if maps == 0 {
                for leaf in &mut data[2..4] {
                    leaf.2.push(0);
                    leaf.3.push(0);
                }
            }
            for m in 0..maps {
                let entries = next(4);
                let first = if m == 0 { 0 } else { 1 };
                if entries == 0 {
                    for leaf in &mut data[2..4] {
                        leaf.2.push(1);
                        leaf.3.push(first);
                    }
                }
                for e in 0..entries {
                    for leaf in &mut data[2..4] {
                        leaf.2.push(2);
                        leaf.3.push(if e == 0 { first } else { 2 });
                        value(leaf, row, &mut next);
                    }
                }
            }
            // d: required.
            value(&mut data[4], row, &mut next);
        }
        let schema = schema("t", columns).unwrap();
        let mut file =
            SerializedFileWriter::new(Vec::new(), schema, WriterProperties::builder().build().into()).unwrap();
        let descriptors = file.schema_descr().columns().to_vec();
        let mut group = file.next_row_group().unwrap();
        let shapes: Vec<_> = columns.iter().flat_map(|c| std::iter::repeat_n(c.shape, c.shape.leaves())).collect();
        let mut scratch = Scratch::default();
        for (i, (leaf, shape)) in data.iter().zip(&shapes).enumerate() {
            let (max_def, max_rep) = shape.levels();
            let text = TextLeaf {
                data: &leaf.0,
                ends: &leaf.1,
                def: &leaf.2,
                rep: &leaf.3,
                max_def,
                max_rep,
                rows: rows as usize,
                dictionary: (i + round) % 2 == 0,
                statistics: true,
            };
            let close = encode(descriptors[i].clone(), &text, &mut scratch).unwrap();
            group.append_column(&Chunk(&scratch.chunk), close).unwrap();
        }
        group.close().unwrap();
        let bytes = Bytes::from(file.into_inner().unwrap());
        let reader = SerializedFileReader::new(bytes).unwrap();
        let group = reader.get_row_group(0).unwrap();
        for (i, (leaf, shape)) in data.iter().zip(&shapes).enumerate() {
            let (max_def, max_rep) = shape.levels();
            let ColumnReader::ByteArrayColumnReader(mut r) = group.get_column_reader(i).unwrap() else { panic!() };
            let (mut def, mut rep, mut got) = (Vec::new(), Vec::new(), Vec::new());
            let mut records = 0;
            while records < rows as usize {
                let (n, _, _) = r.read_records(usize::MAX, Some(&mut def), Some(&mut rep), &mut got).unwrap();
                assert!(n > 0, "round {round} leaf {i}: {records} of {rows} rows");
                records += n;
            }
            let want: Vec<&[u8]> = values(&leaf.0, &leaf.1).collect();
            let got: Vec<&[u8]> = got.iter().map(|v| v.data()).collect();
            assert_eq!(got, want, "round {round} leaf {i}: values");
            if max_def > 0 {
                assert_eq!(def, leaf.2, "round {round} leaf {i}: definition levels");
            }
            if max_rep > 0 {
                assert_eq!(rep, leaf.3, "round {round} leaf {i}: repetition levels");
            }
        }
    }
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
        hybrid(&values, |v| v, width, &mut out);
        assert_eq!(decode(&out, width, values.len()), values, "width {width}");
    }
    let mut out = Vec::new();
    hybrid(&[1u32; 100], |v| v, 1, &mut out);
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
fn min_and_max_are_found_among_the_dictionary_or_the_values() {
    let (data, ends) = (b"mbzaab", [1, 2, 3, 4, 6]);
    assert_eq!(min_max(values(data, &ends)), (Some(&b"a"[..]), Some(&b"z"[..])));
    let (mut dictionary, mut indices) = (Vec::new(), Vec::new());
    intern(data, &ends, &mut dictionary, &mut indices);
    assert_eq!(min_max(entries(&dictionary)), (Some(&b"a"[..]), Some(&b"z"[..])));
    assert_eq!(min_max(values(b"", &[])), (None, None));
    // Bytes compare unsigned: a character past ASCII sorts after every ASCII one.
    assert_eq!(min_max(values("éa".as_bytes(), &[2, 3])).1, Some("é".as_bytes()));
}

#[test]
fn values_are_interned_in_order_of_first_sight() {
    let data = b"ababcb";
    let (mut dictionary, mut indices) = (Vec::new(), Vec::new());
    let distinct = intern(data, &[1, 2, 3, 4, 5, 6], &mut dictionary, &mut indices);
    assert_eq!((indices, distinct), (vec![0, 1, 0, 1, 2, 1], 3));
    assert_eq!(dictionary, b"\x01\0\0\0a\x01\0\0\0b\x01\0\0\0c");
}
