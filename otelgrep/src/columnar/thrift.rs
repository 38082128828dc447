//! The Thrift compact encoding of parquet-format's structs (a file's footer, its page headers),
//! walked without building anything: each field is checked against the type parquet-format
//! gives it, and a field of no known struct is skipped by its encoding alone.
//!
//! Why typed: the Parquet library reads a known field as the type it expects, whatever type the
//! bytes say. A damaged footer whose field 1 of a row group says "boolean" (no bytes) is read
//! by the library as a list, from bytes that were something else, and the library goes on out of
//! step with the encoding: a list of booleans it then skips takes no byte per element, and its
//! billions of elements took half a second for a 4 KB file (a fuzz finding). Walked here with the
//! same types, a field whose encoding is not its type is damage, said before the library reads
//! it; in step, every element takes a byte at least, so every walk ends at the end of its bytes.

/// The parquet-format structs (and unions, which are structs on the wire) the library reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Struct {
    FileMetaData,
    SchemaElement,
    LogicalType,
    TimeUnit,
    Decimal,
    /// `TimeType` and `TimestampType`, which have the same fields.
    Timestamp,
    Int,
    Variant,
    Geometry,
    Geography,
    /// A struct without fields (`StringType`, `MilliSeconds`, `TypeDefinedOrder`, ...).
    Empty,
    RowGroup,
    ColumnChunk,
    ColumnMetaData,
    KeyValue,
    Statistics,
    PageEncodingStats,
    SortingColumn,
    ColumnOrder,
    EncryptionAlgorithm,
    AesGcm,
    ColumnCrypto,
    ColumnKey,
    SizeStatistics,
    GeospatialStatistics,
    BoundingBox,
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
}

/// A field's type, as parquet-format declares it (enums are `i32`s).
#[derive(Debug, Clone, Copy)]
enum Field {
    Bool,
    I8,
    I16,
    I32,
    I64,
    Double,
    Binary,
    List(Item),
    Struct(Struct),
}

/// A list's element type.
#[derive(Debug, Clone, Copy)]
enum Item {
    I32,
    I64,
    Binary,
    Struct(Struct),
}

/// Field `id` of `s`, if parquet-format (as the library knows it) has it.
fn field(s: Struct, id: i64) -> Option<Field> {
    use Field::{Binary, Bool, Double, I8, I16, I32, I64, List};
    use Struct as S;
    let of = Field::Struct;
    let list_of = |s| List(Item::Struct(s));
    Some(match (s, id) {
        (S::FileMetaData, 1) => I32,
        (S::FileMetaData, 2) => list_of(S::SchemaElement),
        (S::FileMetaData, 3) => I64,
        (S::FileMetaData, 4) => list_of(S::RowGroup),
        (S::FileMetaData, 5) => list_of(S::KeyValue),
        (S::FileMetaData, 6 | 9) => Binary,
        (S::FileMetaData, 7) => list_of(S::ColumnOrder),
        (S::FileMetaData, 8) => of(S::EncryptionAlgorithm),
        (S::SchemaElement, 1 | 2 | 3 | 5..=9) => I32,
        (S::SchemaElement, 4) => Binary,
        (S::SchemaElement, 10) => of(S::LogicalType),
        (S::LogicalType, 5) => of(S::Decimal),
        (S::LogicalType, 7 | 8) => of(S::Timestamp),
        (S::LogicalType, 10) => of(S::Int),
        (S::LogicalType, 16) => of(S::Variant),
        (S::LogicalType, 17) => of(S::Geometry),
        (S::LogicalType, 18) => of(S::Geography),
        (S::LogicalType, 1..=4 | 6 | 11..=15) => of(S::Empty),
        (S::TimeUnit, 1..=3) => of(S::Empty),
        (S::Decimal, 1 | 2) => I32,
        (S::Timestamp, 1) => Bool,
        (S::Timestamp, 2) => of(S::TimeUnit),
        (S::Int, 1) => I8,
        (S::Int, 2) => Bool,
        (S::Variant, 1) => I8,
        (S::Geometry | S::Geography, 1) => Binary,
        (S::Geography, 2) => I32,
        (S::RowGroup, 1) => list_of(S::ColumnChunk),
        (S::RowGroup, 2 | 3 | 5 | 6) => I64,
        (S::RowGroup, 4) => list_of(S::SortingColumn),
        (S::RowGroup, 7) => I16,
        (S::ColumnChunk, 1 | 9) => Binary,
        (S::ColumnChunk, 2 | 4 | 6) => I64,
        (S::ColumnChunk, 3) => of(S::ColumnMetaData),
        (S::ColumnChunk, 5 | 7) => I32,
        (S::ColumnChunk, 8) => of(S::ColumnCrypto),
        (S::ColumnMetaData, 1 | 4 | 15) => I32,
        (S::ColumnMetaData, 2) => List(Item::I32),
        (S::ColumnMetaData, 3) => List(Item::Binary),
        (S::ColumnMetaData, 5..=7 | 9..=11 | 14) => I64,
        (S::ColumnMetaData, 8) => list_of(S::KeyValue),
        (S::ColumnMetaData, 12) => of(S::Statistics),
        (S::ColumnMetaData, 13) => list_of(S::PageEncodingStats),
        (S::ColumnMetaData, 16) => of(S::SizeStatistics),
        (S::ColumnMetaData, 17) => of(S::GeospatialStatistics),
        (S::KeyValue, 1 | 2) => Binary,
        (S::Statistics, 1 | 2 | 5 | 6) => Binary,
        (S::Statistics, 3 | 4) => I64,
        (S::Statistics, 7 | 8) => Bool,
        (S::PageEncodingStats, 1..=3) => I32,
        (S::SortingColumn, 1) => I32,
        (S::SortingColumn, 2 | 3) => Bool,
        (S::ColumnOrder, 1) => of(S::Empty),
        (S::EncryptionAlgorithm, 1 | 2) => of(S::AesGcm),
        (S::AesGcm, 1 | 2) => Binary,
        (S::AesGcm, 3) => Bool,
        (S::ColumnCrypto, 1) => of(S::Empty),
        (S::ColumnCrypto, 2) => of(S::ColumnKey),
        (S::ColumnKey, 1) => List(Item::Binary),
        (S::ColumnKey, 2) => Binary,
        (S::SizeStatistics, 1) => I64,
        (S::SizeStatistics, 2 | 3) => List(Item::I64),
        (S::GeospatialStatistics, 1) => of(S::BoundingBox),
        (S::GeospatialStatistics, 2) => List(Item::I32),
        (S::BoundingBox, 1..=8) => Double,
        (S::PageHeader, 1..=4) => I32,
        (S::PageHeader, 5) => of(S::DataPageHeader),
        (S::PageHeader, 6) => of(S::Empty),
        (S::PageHeader, 7) => of(S::DictionaryPageHeader),
        (S::PageHeader, 8) => of(S::DataPageHeaderV2),
        (S::DataPageHeader, 1..=4) => I32,
        (S::DataPageHeader, 5) => of(S::Statistics),
        (S::DictionaryPageHeader, 1 | 2) => I32,
        (S::DictionaryPageHeader, 3) => Bool,
        (S::DataPageHeaderV2, 1..=6) => I32,
        (S::DataPageHeaderV2, 7) => Bool,
        (S::DataPageHeaderV2, 8) => of(S::Statistics),
        _ => return None,
    })
}

/// Compact type codes: booleans (a field's value in its header; a byte in a list), `i8`,
/// `i16`, `i32`, `i64`, `double`, binary, list, set, map, struct.
const BYTE: u8 = 3;
const I32: u8 = 5;
const I64: u8 = 6;
const BINARY: u8 = 8;
const STRUCT: u8 = 12;

/// Whether a value encoded as compact type `kind` is one of type `f`.
fn encodes(kind: u8, f: Field) -> bool {
    match f {
        Field::Bool => matches!(kind, 1 | 2),
        Field::I8 => kind == BYTE,
        Field::I16 => kind == 4,
        Field::I32 => kind == I32,
        Field::I64 => kind == I64,
        Field::Double => kind == 7,
        Field::Binary => kind == BINARY,
        Field::List(_) => matches!(kind, 9 | 10),
        Field::Struct(_) => kind == STRUCT,
    }
}

/// Structs inside structs walked at most (parquet-format's deepest is five: a schema element's
/// logical type's time unit; the library stops at 64).
const DEEPEST: u32 = 16;

/// A reader of the Thrift compact encoding over `bytes` from `at`; `None` where it is damaged.
pub struct Compact<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

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

    pub fn zigzag(&mut self) -> Option<i64> {
        let v = self.varint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// The next field's header in a struct whose last field was `last`: its id and compact type,
    /// or `None` at the struct's end (`Some(None)`).
    pub fn field_header(&mut self, last: i64) -> Option<Option<(i64, u8)>> {
        let b = self.byte()?;
        if b == 0 {
            return Some(None);
        }
        let id = if b >> 4 == 0 { self.zigzag()? } else { last + i64::from(b >> 4) };
        Some(Some((id, b & 0x0f)))
    }

    /// A whole struct `s`, each field checked against its type.
    pub fn walk(&mut self, s: Struct, depth: u32) -> Option<()> {
        if depth >= DEEPEST {
            return None;
        }
        let mut last = 0;
        while let Some((id, kind)) = self.field_header(last)? {
            self.value(s, id, kind, depth)?;
            last = id;
        }
        Some(())
    }

    /// The value of field `id` (encoded as `kind`) of struct `s`: `None` when it is not of the
    /// field's type.
    pub fn value(&mut self, s: Struct, id: i64, kind: u8, depth: u32) -> Option<()> {
        let Some(f) = field(s, id) else { return self.skip(kind, depth + 1) };
        if !encodes(kind, f) {
            return None;
        }
        match f {
            Field::Struct(inner) => self.walk(inner, depth + 1),
            Field::List(item) => {
                let (n, element) = self.list_header()?;
                let want = match item {
                    Item::I32 => I32,
                    Item::I64 => I64,
                    Item::Binary => BINARY,
                    Item::Struct(_) => STRUCT,
                };
                if element != want {
                    return None;
                }
                for _ in 0..n {
                    match item {
                        Item::Struct(inner) => self.walk(inner, depth + 1)?,
                        _ => self.skip(element, depth + 1)?,
                    }
                }
                Some(())
            }
            _ => self.skip(kind, depth + 1),
        }
    }

    /// A list's (or set's) header: its size and element type.
    fn list_header(&mut self) -> Option<(u64, u8)> {
        let b = self.byte()?;
        let n = if b >> 4 == 15 { self.varint()? } else { u64::from(b >> 4) };
        Some((n, b & 0x0f))
    }

    /// Skips a value of compact type `kind`, by its encoding alone.
    pub fn skip(&mut self, kind: u8, depth: u32) -> Option<()> {
        match kind {
            // Booleans of a struct's fields are in the field header itself.
            1 | 2 => {}
            BYTE => self.at += 1,
            4..=6 => {
                self.varint()?;
            }
            7 => self.at += 8,
            BINARY => {
                let len = usize::try_from(self.varint()?).ok()?;
                self.at = self.at.checked_add(len)?;
            }
            9 | 10 => {
                let (n, element) = self.list_header()?;
                // A list's booleans take a byte each.
                let element = if matches!(element, 1 | 2) { BYTE } else { element };
                for _ in 0..n {
                    self.skip(element, depth + 1)?;
                }
            }
            11 => {
                let n = self.varint()?;
                if n > 0 {
                    let b = self.byte()?;
                    let byte_if_bool = |t: u8| if matches!(t, 1 | 2) { BYTE } else { t };
                    let (k, v) = (byte_if_bool(b >> 4), byte_if_bool(b & 0x0f));
                    for _ in 0..n {
                        self.skip(k, depth + 1)?;
                        self.skip(v, depth + 1)?;
                    }
                }
            }
            STRUCT if depth < DEEPEST => {
                let mut last = 0;
                while let Some((id, kind)) = self.field_header(last)? {
                    self.skip(kind, depth + 1)?;
                    last = id;
                }
            }
            _ => return None,
        }
        (self.at <= self.bytes.len()).then_some(())
    }
}
