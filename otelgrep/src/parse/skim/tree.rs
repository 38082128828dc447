//! [`Tree`]: a whole JSON value read by the skimmer into borrowed parts, for readers that walk a
//! record freely rather than field by field.

use std::borrow::Cow;

use super::{Bad, DEEPEST, Skim, Skimmed};

/// A JSON value read whole, borrowing what it can: for formats whose records are walked freely
/// (OTLP JSON), where building serde_json's `Value` (a B-tree per object) took most of the time.
/// Numbers keep their text; objects keep their members in the order written, and a key written
/// twice means its last value, as in serde_json's map.
#[derive(Debug, Clone, PartialEq)]
pub enum Tree<'a> {
    Null,
    Bool(bool),
    Number(Cow<'a, str>),
    Str(Cow<'a, str>),
    Array(Vec<Tree<'a>>),
    Object(Vec<(Cow<'a, str>, Tree<'a>)>),
}

/// An object's members.
pub type Members<'a> = [(Cow<'a, str>, Tree<'a>)];

/// The value of `key` in an object's members (the last, if written twice).
pub fn member<'t, 'a>(members: &'t Members<'a>, key: &str) -> Option<&'t Tree<'a>> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

impl<'a> Tree<'a> {
    /// A whole text as one value; [`Bad`] where the skimmer cannot say (the caller asks serde_json).
    pub fn read(text: &'a str) -> Skimmed<Tree<'a>> {
        let mut s = Skim::new(text);
        let tree = s.tree(0)?;
        s.end()?;
        Ok(tree)
    }

    pub fn get(&self, key: &str) -> Option<&Tree<'a>> {
        member(self.as_object()?, key)
    }

    pub fn as_object(&self) -> Option<&Members<'a>> {
        match self {
            Tree::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Tree<'a>]> {
        match self {
            Tree::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Tree::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Tree::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number as serde_json reads it (its text kept exactly, as with `arbitrary_precision`).
    pub fn as_number(&self) -> Option<serde_json::Number> {
        match self {
            Tree::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The value as serde_json's `Value`, for the rare reader that wants one.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match self {
            Tree::Null => Json::Null,
            Tree::Bool(b) => Json::Bool(*b),
            Tree::Number(_) => self.as_number().map_or(Json::Null, Json::Number),
            Tree::Str(s) => Json::String(s.to_string()),
            Tree::Array(a) => Json::Array(a.iter().map(Tree::to_json).collect()),
            Tree::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect()),
        }
    }

    /// serde_json's `Value` as a tree (when serde_json read what the skimmer would not).
    pub fn from_json(v: serde_json::Value) -> Tree<'static> {
        use serde_json::Value as Json;
        match v {
            Json::Null => Tree::Null,
            Json::Bool(b) => Tree::Bool(b),
            Json::Number(n) => Tree::Number(Cow::Owned(n.to_string())),
            Json::String(s) => Tree::Str(Cow::Owned(s)),
            Json::Array(a) => Tree::Array(a.into_iter().map(Tree::from_json).collect()),
            Json::Object(m) => Tree::Object(m.into_iter().map(|(k, v)| (Cow::Owned(k), Tree::from_json(v))).collect()),
        }
    }
}

impl<'a> Skim<'a> {
    /// The next value as a tree, `depth` levels into the text (the limit counts from the text's
    /// root, as serde_json's does).
    pub fn tree_at(&mut self, depth: u32) -> Skimmed<Tree<'a>> {
        self.tree(depth)
    }

    fn tree(&mut self, depth: u32) -> Skimmed<Tree<'a>> {
        if depth >= DEEPEST {
            return Err(Bad);
        }
        Ok(match self.peek_value() {
            b'"' => Tree::Str(self.str()?),
            b't' | b'f' => Tree::Bool(self.bool()?),
            b'n' => {
                self.literal(b"null")?;
                Tree::Null
            }
            b'[' => {
                let mut items = Vec::new();
                self.array(|s| s.tree(depth + 1).map(|t| items.push(t)))?;
                Tree::Array(items)
            }
            b'{' => Tree::Object(self.members(depth)?),
            _ => Tree::Number(Cow::Borrowed(self.number()?)),
        })
    }

    /// An object's members, keys unescaped (unlike [`Skim::object`], which wants plain keys).
    fn members(&mut self, depth: u32) -> Skimmed<Vec<(Cow<'a, str>, Tree<'a>)>> {
        let mut out = Vec::new();
        self.object_with(Skim::str, |s, key| {
            let value = s.tree(depth + 1)?;
            out.push((key, value));
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_what_serde_json_reads() {
        let text = r#"{"a": 1, "k\u00e9": [true, null, "x\n", -2.5e3], "a": {"b": 18446744073709551616}}"#;
        let tree = Tree::read(text).unwrap();
        // A key written twice means its last value, as in serde_json's map.
        assert_eq!(tree.get("a").and_then(|a| a.get("b")), Some(&Tree::Number("18446744073709551616".into())));
        assert_eq!(tree.get("ké").and_then(Tree::as_array).map(<[_]>::len), Some(4));
        assert_eq!(tree.to_json(), serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(Tree::from_json(tree.to_json()).to_json(), tree.to_json());
        assert_eq!(Tree::read("{\"a\": 1} x"), Err(Bad));
    }
}
