//! A table's columns as Parquet sees them: their shapes (a value, an optional value, a map of
//! strings, a list, a list of maps), the schema they make, and a leaf's values with their
//! definition and repetition levels, as written (`rows.rs`) or read (`read.rs`).
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

    pub fn leaf(self) -> Leaf {
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
    /// Text as read: one value each.
    Bytes(Vec<ByteArray>),
    /// Text as written: every value's bytes in one buffer, and where each ends (a value each
    /// would be an allocation each, and three times the memory).
    Text {
        data: Vec<u8>,
        ends: Vec<u32>,
    },
}

impl Values {
    fn new(leaf: Leaf, reading: bool) -> Values {
        match leaf {
            Leaf::Str if reading => Values::Bytes(Vec::new()),
            Leaf::Str => Values::Text { data: Vec::new(), ends: Vec::new() },
            Leaf::I64 | Leaf::U64 | Leaf::Time => Values::I64(Vec::new()),
            Leaf::I32 => Values::I32(Vec::new()),
            Leaf::F64 => Values::F64(Vec::new()),
            Leaf::Bool => Values::Bool(Vec::new()),
        }
    }
}

/// A fixed-size value type and the leaves that hold it.
pub trait Plain: Copy {
    fn values(v: &Values) -> Option<&Vec<Self>>;
    fn values_mut(v: &mut Values) -> Option<&mut Vec<Self>>;
}

macro_rules! plain {
    ($t:ty, $variant:ident) => {
        impl Plain for $t {
            fn values(v: &Values) -> Option<&Vec<Self>> {
                if let Values::$variant(vs) = v { Some(vs) } else { None }
            }
            fn values_mut(v: &mut Values) -> Option<&mut Vec<Self>> {
                if let Values::$variant(vs) = v { Some(vs) } else { None }
            }
        }
    };
}

plain!(i64, I64);
plain!(i32, I32);
plain!(f64, F64);
plain!(bool, Bool);

/// No values yet, of the type a column's leaves hold, for reading.
pub fn empty_values(shape: Shape) -> Values {
    Values::new(shape.leaf(), true)
}

/// A leaf's values and levels, as written or as read.
#[derive(Debug, Clone)]
pub struct LeafBuf {
    pub values: Values,
    pub def: Vec<i16>,
    pub rep: Vec<i16>,
}

impl LeafBuf {
    /// An empty leaf to write.
    pub fn new(leaf: Leaf) -> LeafBuf {
        LeafBuf { values: Values::new(leaf, false), def: Vec::new(), rep: Vec::new() }
    }

    pub fn clear(&mut self) {
        self.def.clear();
        self.rep.clear();
        match &mut self.values {
            Values::I64(v) => v.clear(),
            Values::I32(v) => v.clear(),
            Values::F64(v) => v.clear(),
            Values::Bool(v) => v.clear(),
            Values::Bytes(v) => v.clear(),
            Values::Text { data, ends } => {
                data.clear();
                ends.clear();
            }
        }
    }
}
