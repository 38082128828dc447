//! Rows being written: a table's leaves filled column by column in schema order (each row calls
//! one writer per column, in the order the table lists them), text straight into each leaf's one
//! buffer, with the levels `table.rs` says each shape has. `held` counts the bytes held, so a
//! writer can cut row groups by memory as well as by rows.

use std::io::Write as _;

use crate::columnar::table::{Column, Leaf, LeafBuf, Plain, Shape, Values};

/// Bytes a value costs besides its text (its end or its number, its levels).
const PER_VALUE: usize = 12;

pub struct Rows {
    pub columns: &'static [Column],
    /// Per column, its leaves (two for maps).
    pub leaves: Vec<Vec<LeafBuf>>,
    pub rows: usize,
    pub held: usize,
    next: usize,
}

/// Appends one text value to a written text leaf.
fn push_text(leaf: &mut LeafBuf, write: impl FnOnce(&mut Vec<u8>)) -> usize {
    let Values::Text { data, ends } = &mut leaf.values else { return 0 };
    let before = data.len();
    write(data);
    ends.push(data.len() as u32);
    data.len() - before + PER_VALUE
}

/// The entries of one map being written: keys and values on their two leaves.
pub struct MapWriter<'r> {
    keys: &'r mut LeafBuf,
    values: &'r mut LeafBuf,
    entries: usize,
    /// The repetition level of the map's first entry, and the definition level that marks the
    /// map itself present (entries are one deeper).
    first_rep: i16,
    outer_def: i16,
    held: usize,
}

impl MapWriter<'_> {
    /// One entry, its value written by `value` into the leaf's buffer.
    pub fn entry(&mut self, key: &str, value: impl FnOnce(&mut Vec<u8>)) {
        let rep = if self.entries == 0 { self.first_rep } else { self.outer_def + 1 };
        for leaf in [&mut *self.keys, &mut *self.values] {
            leaf.def.push(self.outer_def + 1);
            leaf.rep.push(rep);
        }
        self.held += push_text(self.keys, |d| d.extend_from_slice(key.as_bytes()));
        self.held += push_text(self.values, value);
        self.entries += 1;
    }

    /// Levels for a map with no entries.
    fn end(self) -> usize {
        if self.entries == 0 {
            for leaf in [self.keys, self.values] {
                leaf.def.push(self.outer_def);
                leaf.rep.push(self.first_rep);
            }
        }
        self.held
    }
}

impl Rows {
    pub fn new(columns: &'static [Column]) -> Rows {
        let leaves =
            columns.iter().map(|c| (0..c.shape.leaves()).map(|_| LeafBuf::new(c.shape.leaf())).collect()).collect();
        Rows { columns, leaves, rows: 0, held: 0, next: 0 }
    }

    pub fn clear(&mut self) {
        self.leaves.iter_mut().flatten().for_each(LeafBuf::clear);
        self.rows = 0;
        self.held = 0;
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

    pub fn str(&mut self, s: &str) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Required(Leaf::Str))[0];
        let n = push_text(leaf, |d| d.extend_from_slice(s.as_bytes()));
        self.held += n;
        self
    }

    /// A required text written by `write` into the leaf's buffer.
    pub fn str_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Required(Leaf::Str))[0];
        let n = push_text(leaf, write);
        self.held += n;
        self
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::Optional(Leaf::Str))[0];
        leaf.def.push(i16::from(s.is_some()));
        let n = s.map_or(2, |s| push_text(leaf, |d| d.extend_from_slice(s.as_bytes())));
        self.held += n;
        self
    }

    /// A required value of a fixed-size column.
    fn plain<T: Plain>(&mut self, expected: fn(Shape) -> bool, v: T) -> &mut Self {
        let leaf = &mut self.take(expected)[0];
        if let Some(vs) = T::values_mut(&mut leaf.values) {
            vs.push(v);
        }
        self.held += PER_VALUE;
        self
    }

    /// An optional value of a fixed-size column: its definition level, and the value if any.
    fn opt<T: Plain>(&mut self, expected: fn(Shape) -> bool, v: Option<T>) -> &mut Self {
        let leaf = &mut self.take(expected)[0];
        leaf.def.push(i16::from(v.is_some()));
        if let (Some(v), Some(vs)) = (v, T::values_mut(&mut leaf.values)) {
            vs.push(v);
        }
        self.held += PER_VALUE;
        self
    }

    /// A required integer column (`I64`, `U64` or `Time`).
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.plain(|s| matches!(s, Shape::Required(Leaf::I64 | Leaf::U64 | Leaf::Time)), v)
    }

    pub fn opt_i64(&mut self, v: Option<i64>) -> &mut Self {
        self.opt(|s| matches!(s, Shape::Optional(Leaf::I64 | Leaf::U64 | Leaf::Time)), v)
    }

    pub fn opt_i32(&mut self, v: Option<i32>) -> &mut Self {
        self.opt(|s| s == Shape::Optional(Leaf::I32), v)
    }

    pub fn opt_f64(&mut self, v: Option<f64>) -> &mut Self {
        self.opt(|s| s == Shape::Optional(Leaf::F64), v)
    }

    pub fn opt_bool(&mut self, v: Option<bool>) -> &mut Self {
        self.opt(|s| s == Shape::Optional(Leaf::Bool), v)
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.plain(|s| s == Shape::Required(Leaf::Bool), v)
    }

    /// A map of text to text, its entries given by `fill`; none is an empty map.
    pub fn map(&mut self, fill: impl FnOnce(&mut MapWriter)) -> &mut Self {
        let pair = self.take(|s| s == Shape::Map);
        let (keys, values) = pair.split_at_mut(1);
        let mut m =
            MapWriter { keys: &mut keys[0], values: &mut values[0], entries: 0, first_rep: 0, outer_def: 0, held: 0 };
        fill(&mut m);
        self.held += m.end();
        self
    }

    fn list<T: Plain>(&mut self, expected: fn(Shape) -> bool, items: impl IntoIterator<Item = T>) -> &mut Self {
        let leaf = &mut self.take(expected)[0];
        let Some(vs) = T::values_mut(&mut leaf.values) else { return self };
        let before = vs.len();
        vs.extend(items);
        let n = vs.len() - before;
        levels(&mut leaf.def, &mut leaf.rep, n);
        self.held += PER_VALUE * n.max(1);
        self
    }

    /// A list of integers (`I64`, `U64` or `Time` elements).
    pub fn list_i64(&mut self, items: impl IntoIterator<Item = i64>) -> &mut Self {
        self.list(|s| matches!(s, Shape::List(Leaf::I64 | Leaf::U64 | Leaf::Time)), items)
    }

    pub fn list_f64(&mut self, items: impl IntoIterator<Item = f64>) -> &mut Self {
        self.list(|s| s == Shape::List(Leaf::F64), items)
    }

    /// A list of texts, each written by `write` from one item.
    pub fn list_str<T>(&mut self, items: &[T], write: impl Fn(&T, &mut Vec<u8>)) -> &mut Self {
        let leaf = &mut self.take(|s| s == Shape::List(Leaf::Str))[0];
        let mut held = PER_VALUE;
        for item in items {
            held += push_text(leaf, |d| write(item, d));
        }
        levels(&mut leaf.def, &mut leaf.rep, items.len());
        self.held += held;
        self
    }

    /// A list of maps, one per item, each map's entries given by `fill`.
    pub fn list_of_maps<T>(&mut self, items: &[T], fill: impl Fn(&T, &mut MapWriter)) -> &mut Self {
        let pair = self.take(|s| s == Shape::ListOfMaps);
        let (keys, values) = pair.split_at_mut(1);
        let (keys, values) = (&mut keys[0], &mut values[0]);
        let mut held = PER_VALUE;
        if items.is_empty() {
            for leaf in [&mut *keys, &mut *values] {
                leaf.def.push(0);
                leaf.rep.push(0);
            }
        }
        for (i, item) in items.iter().enumerate() {
            // The first element starts the row; the others repeat the list (level 1); a map's
            // entries are one level deeper than the list's.
            let first_rep = if i == 0 { 0 } else { 1 };
            let mut m =
                MapWriter { keys: &mut *keys, values: &mut *values, entries: 0, first_rep, outer_def: 1, held: 0 };
            fill(item, &mut m);
            held += m.end();
        }
        self.held += held;
        self
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

/// Writes displayable text into a leaf's buffer (numbers without a `String` each).
pub fn display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}
