//! A table's columns as Parquet sees them: their shapes (a value, an optional value, a map of
//! strings, a list, a list of maps), the schema they make, and the buffers rows are written into
//! and read back from, as values with their definition and repetition levels.
//!
//! Only the shapes the export needs, each with the levels Parquet's nesting rules give it: a map
//! is `MAP { repeated key_value { key; value } }`, a list `LIST { repeated list { element } }`
//! (the three-level layouts every engine reads), a list of maps the two nested.

use std::sync::Arc;

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::data_type::ByteArray;
use parquet::schema::types::{Type, TypePtr};

/// A leaf value's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// UTF-8 text.
    Str,
    I64,
    /// An unsigned 64-bit count, stored in INT64's bits.
    U64,
    I32,
    F64,
    Bool,
    /// Nanoseconds since the Unix epoch, UTC (ClickHouse `DateTime64(9)`).
    Time,
}

/// How a column nests its leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Required(Leaf),
    Optional(Leaf),
    /// Text to text (ClickHouse `Map(LowCardinality(String), String)`): two leaves, key and value.
    Map,
    /// A list of required values (ClickHouse `Array(T)`, a `Nested` column's part).
    List(Leaf),
    /// A list of maps (`Events.Attributes`): two leaves.
    ListOfMaps,
}

impl Shape {
    /// The leaves (Parquet's columns) this column writes: a map's keys and values are two.
    pub fn leaves(self) -> usize {
        match self {
            Shape::Map | Shape::ListOfMaps => 2,
            _ => 1,
        }
    }

    /// Deepest definition and repetition levels of its leaves.
    pub fn levels(self) -> (i16, i16) {
        match self {
            Shape::Required(_) => (0, 0),
            Shape::Optional(_) => (1, 0),
            Shape::Map | Shape::List(_) => (1, 1),
            Shape::ListOfMaps => (2, 2),
        }
    }

    fn leaf(self) -> Leaf {
        match self {
            Shape::Required(l) | Shape::Optional(l) | Shape::List(l) => l,
            Shape::Map | Shape::ListOfMaps => Leaf::Str,
        }
    }
}

/// A column: its name (the ClickHouse exporter's, or otelgrep's own) and shape.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub shape: Shape,
}

pub const fn col(name: &'static str, shape: Shape) -> Column {
    Column { name, shape }
}

fn primitive(name: &str, leaf: Leaf, repetition: Repetition) -> parquet::errors::Result<TypePtr> {
    let (physical, logical) = match leaf {
        Leaf::Str => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
        Leaf::I64 => (Physical::INT64, None),
        Leaf::U64 => (Physical::INT64, Some(LogicalType::integer(64, false))),
        Leaf::I32 => (Physical::INT32, None),
        Leaf::F64 => (Physical::DOUBLE, None),
        Leaf::Bool => (Physical::BOOLEAN, None),
        Leaf::Time => (Physical::INT64, Some(LogicalType::timestamp(true, TimeUnit::NANOS))),
    };
    Ok(Arc::new(
        Type::primitive_type_builder(name, physical).with_repetition(repetition).with_logical_type(logical).build()?,
    ))
}

fn map_type(name: &str) -> parquet::errors::Result<TypePtr> {
    let entries = Type::group_type_builder("key_value")
        .with_repetition(Repetition::REPEATED)
        .with_converted_type(ConvertedType::MAP_KEY_VALUE)
        .with_fields(vec![
            primitive("key", Leaf::Str, Repetition::REQUIRED)?,
            primitive("value", Leaf::Str, Repetition::REQUIRED)?,
        ])
        .build()?;
    Ok(Arc::new(
        Type::group_type_builder(name)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(Some(LogicalType::Map))
            .with_fields(vec![Arc::new(entries)])
            .build()?,
    ))
}

fn list_type(name: &str, element: TypePtr) -> parquet::errors::Result<TypePtr> {
    let list =
        Type::group_type_builder("list").with_repetition(Repetition::REPEATED).with_fields(vec![element]).build()?;
    Ok(Arc::new(
        Type::group_type_builder(name)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(Some(LogicalType::List))
            .with_fields(vec![Arc::new(list)])
            .build()?,
    ))
}

/// The Parquet schema of a table.
pub fn schema(table: &str, columns: &[Column]) -> parquet::errors::Result<TypePtr> {
    let mut fields = Vec::with_capacity(columns.len());
    for c in columns {
        fields.push(match c.shape {
            Shape::Required(leaf) => primitive(c.name, leaf, Repetition::REQUIRED)?,
            Shape::Optional(leaf) => primitive(c.name, leaf, Repetition::OPTIONAL)?,
            Shape::Map => map_type(c.name)?,
            Shape::List(leaf) => list_type(c.name, primitive("element", leaf, Repetition::REQUIRED)?)?,
            Shape::ListOfMaps => list_type(c.name, map_type("element")?)?,
        });
    }
    Ok(Arc::new(Type::group_type_builder(table).with_fields(fields).build()?))
}

/// One leaf's values, of its physical type.
#[derive(Debug, Clone)]
pub enum Values {
    I64(Vec<i64>),
    I32(Vec<i32>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Bytes(Vec<ByteArray>),
}

impl Values {
    fn new(leaf: Leaf) -> Values {
        match leaf {
            Leaf::Str => Values::Bytes(Vec::new()),
            Leaf::I64 | Leaf::U64 | Leaf::Time => Values::I64(Vec::new()),
            Leaf::I32 => Values::I32(Vec::new()),
            Leaf::F64 => Values::F64(Vec::new()),
            Leaf::Bool => Values::Bool(Vec::new()),
        }
    }
}

/// No values yet, of the type a column's leaves hold.
pub fn empty_values(shape: Shape) -> Values {
    Values::new(shape.leaf())
}

/// A leaf's values and levels, as written or as read.
#[derive(Debug, Clone)]
pub struct LeafBuf {
    pub values: Values,
    pub def: Vec<i16>,
    pub rep: Vec<i16>,
}

impl LeafBuf {
    pub fn new(leaf: Leaf) -> LeafBuf {
        LeafBuf { values: Values::new(leaf), def: Vec::new(), rep: Vec::new() }
    }

    fn clear(&mut self) {
        self.def.clear();
        self.rep.clear();
        match &mut self.values {
            Values::I64(v) => v.clear(),
            Values::I32(v) => v.clear(),
            Values::F64(v) => v.clear(),
            Values::Bool(v) => v.clear(),
            Values::Bytes(v) => v.clear(),
        }
    }

    fn bytes(&mut self) -> &mut Vec<ByteArray> {
        match &mut self.values {
            Values::Bytes(v) => v,
            _ => unreachable!("a text leaf holds bytes"),
        }
    }
}

/// The leaves of a table, its rows written column by column in schema order: each row calls
/// one writer per column, in the order `columns` lists them.
pub struct Rows {
    pub columns: &'static [Column],
    /// Per column, its leaves (two for maps).
    pub leaves: Vec<Vec<LeafBuf>>,
    pub rows: usize,
    /// Bytes of text held, so a writer can cut row groups by size as well as by rows.
    pub text_bytes: usize,
    next: usize,
}

impl Rows {
    pub fn new(columns: &'static [Column]) -> Rows {
        let leaves =
            columns.iter().map(|c| (0..c.shape.leaves()).map(|_| LeafBuf::new(c.shape.leaf())).collect()).collect();
        Rows { columns, leaves, rows: 0, text_bytes: 0, next: 0 }
    }

    /// Adds another buffer's rows (of the same table) after these.
    pub fn append(&mut self, other: Rows) {
        for (mine, theirs) in self.leaves.iter_mut().flatten().zip(other.leaves.into_iter().flatten()) {
            mine.def.extend(theirs.def);
            mine.rep.extend(theirs.rep);
            match (&mut mine.values, theirs.values) {
                (Values::I64(a), Values::I64(b)) => a.extend(b),
                (Values::I32(a), Values::I32(b)) => a.extend(b),
                (Values::F64(a), Values::F64(b)) => a.extend(b),
                (Values::Bool(a), Values::Bool(b)) => a.extend(b),
                (Values::Bytes(a), Values::Bytes(b)) => a.extend(b),
                _ => debug_assert!(false, "buffers of one table hold the same types"),
            }
        }
        self.rows += other.rows;
        self.text_bytes += other.text_bytes;
    }

    pub fn clear(&mut self) {
        self.leaves.iter_mut().flatten().for_each(LeafBuf::clear);
        self.rows = 0;
        self.text_bytes = 0;
        self.next = 0;
    }

    /// The next column of the row being written.
    fn take(&mut self, expected: fn(Shape) -> bool) -> &mut Vec<LeafBuf> {
        let i = self.next;
        debug_assert!(expected(self.columns[i].shape), "column {} written as another shape", self.columns[i].name);
        self.next += 1;
        if self.next == self.columns.len() {
            self.next = 0;
            self.rows += 1;
        }
        &mut self.leaves[i]
    }

    fn text(&mut self, s: &str) -> ByteArray {
        self.text_bytes += s.len();
        ByteArray::from(s.as_bytes().to_vec())
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        let v = self.text(s);
        let leaf = &mut self.take(|s| s == Shape::Required(Leaf::Str))[0];
        leaf.bytes().push(v);
        self
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        let v = s.map(|s| self.text(s));
        let leaf = &mut self.take(|s| s == Shape::Optional(Leaf::Str))[0];
        leaf.def.push(i16::from(v.is_some()));
        if let Some(v) = v {
            leaf.bytes().push(v);
        }
        self
    }

    /// A required integer column (`I64`, `U64` or `Time`).
    pub fn i64(&mut self, v: i64) -> &mut Self {
        let leaf = &mut self.take(|s| matches!(s, Shape::Required(Leaf::I64 | Leaf::U64 | Leaf::Time)))[0];
        if let Values::I64(vs) = &mut leaf.values {
            vs.push(v);
        }
        self
    }

    pub fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        let leaf = &mut self.take(|s| matches!(s, Shape::Optional(Leaf::I64 | Leaf::U64 | Leaf::Time)))[0];
        leaf.def.push(i16::from(v.is_some()));
        if let (Some(v), Values::I64(vs)) = (v, &mut leaf.values) {
            vs.push(v);
        }
        self
    }

    pub fn opt_i32(&mut self, v: Option<i32>) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Optional(Leaf::I32))[0];
        leaf.def.push(i16::from(v.is_some()));
        if let (Some(v), Values::I32(vs)) = (v, &mut leaf.values) {
            vs.push(v);
        }
        self
    }

    pub fn opt_f64(&mut self, v: Option<f64>) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Optional(Leaf::F64))[0];
        leaf.def.push(i16::from(v.is_some()));
        if let (Some(v), Values::F64(vs)) = (v, &mut leaf.values) {
            vs.push(v);
        }
        self
    }

    pub fn opt_bool(&mut self, v: Option<bool>) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Optional(Leaf::Bool))[0];
        leaf.def.push(i16::from(v.is_some()));
        if let (Some(v), Values::Bool(vs)) = (v, &mut leaf.values) {
            vs.push(v);
        }
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Required(Leaf::Bool))[0];
        if let Values::Bool(vs) = &mut leaf.values {
            vs.push(v);
        }
        self
    }

    /// A map of text to text; an empty one is a row with no entries.
    pub fn map<'a>(&mut self, entries: impl IntoIterator<Item = (&'a str, String)>) -> &mut Self {
        let mut texts = Vec::new();
        for (k, v) in entries {
            texts.push((self.text(k), self.text(&v)));
        }
        let pair = self.take(|s| s == Shape::Map);
        push_map(pair, texts, 0, 0);
        self
    }

    /// A list of integers (`I64`, `U64` or `Time` elements).
    pub fn list_i64(&mut self, items: impl IntoIterator<Item = i64>) -> &mut Self {
        let leaf = &mut self.take(|s| matches!(s, Shape::List(Leaf::I64 | Leaf::U64 | Leaf::Time)))[0];
        let Values::I64(vs) = &mut leaf.values else { return self };
        let before = vs.len();
        vs.extend(items);
        levels(&mut leaf.def, &mut leaf.rep, vs.len() - before);
        self
    }

    pub fn list_f64(&mut self, items: impl IntoIterator<Item = f64>) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::List(Leaf::F64))[0];
        let Values::F64(vs) = &mut leaf.values else { return self };
        let before = vs.len();
        vs.extend(items);
        levels(&mut leaf.def, &mut leaf.rep, vs.len() - before);
        self
    }

    pub fn list_str<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let texts: Vec<ByteArray> = items.into_iter().map(|s| self.text(s)).collect();
        let leaf = &mut self.take(|s| s == Shape::List(Leaf::Str))[0];
        let n = texts.len();
        leaf.bytes().extend(texts);
        levels(&mut leaf.def, &mut leaf.rep, n);
        self
    }

    /// A list of maps (one per event or link).
    pub fn list_of_maps<'a>(&mut self, maps: impl IntoIterator<Item = Vec<(&'a str, String)>>) -> &mut Self {
        let mut all = Vec::new();
        for entries in maps {
            let mut texts = Vec::new();
            for (k, v) in entries {
                texts.push((self.text(k), self.text(&v)));
            }
            all.push(texts);
        }
        let pair = self.take(|s| s == Shape::ListOfMaps);
        if all.is_empty() {
            for leaf in pair.iter_mut() {
                leaf.def.push(0);
                leaf.rep.push(0);
            }
        }
        for (i, texts) in all.into_iter().enumerate() {
            // The first element starts the row; the others repeat the list (level 1); an empty map
            // is an element defined up to the list (1), entries up to the map (2).
            push_map(pair, texts, if i == 0 { 0 } else { 1 }, 1);
        }
        self
    }
}

/// A map's entries on its two leaves: the first at repetition `first_rep`, the rest repeating the
/// map (one level below `first_rep`'s list, if any); empty, one level `outer_def` marking its
/// absence of entries.
fn push_map(pair: &mut [LeafBuf], entries: Vec<(ByteArray, ByteArray)>, first_rep: i16, outer_def: i16) {
    let (keys, values) = pair.split_at_mut(1);
    let (keys, values) = (&mut keys[0], &mut values[0]);
    if entries.is_empty() {
        for leaf in [&mut *keys, &mut *values] {
            leaf.def.push(outer_def);
            leaf.rep.push(first_rep);
        }
        return;
    }
    let (full, repeat) = (outer_def + 1, outer_def + 1);
    for (i, (k, v)) in entries.into_iter().enumerate() {
        let rep = if i == 0 { first_rep } else { repeat };
        for leaf in [&mut *keys, &mut *values] {
            leaf.def.push(full);
            leaf.rep.push(rep);
        }
        keys.bytes().push(k);
        values.bytes().push(v);
    }
}

/// A list's levels: `n` elements (the first starting the row), or one empty-list level.
fn levels(def: &mut Vec<i16>, rep: &mut Vec<i16>, n: usize) {
    if n == 0 {
        def.push(0);
        rep.push(0);
        return;
    }
    def.extend(std::iter::repeat_n(1, n));
    rep.push(0);
    rep.extend(std::iter::repeat_n(1, n - 1));
}
