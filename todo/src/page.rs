//! The HTML of the list page, one page of tasks at a time, with every task text escaped; and the
//! Content-Security-Policy that page needs, kept here beside the markup it describes.

use std::fmt::Write;

use crate::db::Task;

/// The page's only style sheet, inline. The CSP allows exactly these bytes by their hash, so an
/// edit here needs a new hash in [`CONTENT_SECURITY_POLICY`]: the base64 of the SHA-256 of the
/// text between the quotes, newlines and indentation included (`printf '%s' "$text" | openssl
/// dgst -sha256 -binary | base64`). With a stale hash the browser drops the style, and the
/// browser test fails.
pub const STYLE: &str = "
      body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
      li { margin: .4em 0; } li form { display: inline; margin-left: 1em; }
      .task { white-space: pre-wrap; }
      nav a { margin-right: 1em; }
    ";

/// What the page needs and nothing more: no script at all, its one style block (by hash), forms
/// that post to this origin only, and no framing (clickjacking) or `<base>` rewriting.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     style-src 'sha256-SNGbnymLQbtH7zOzCzhfXKTS++qu4Kww8A2TJa8q+Og='; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One page of the list: title, the "Add new task" form, the tasks of page `number` (1-based)
/// with their Delete buttons, and links to the previous and next pages.
pub fn render(tasks: &[Task], number: u32, has_next: bool) -> String {
    let mut items = String::new();
    for task in tasks {
        let _ = write!(
            items,
            r#"
      <li><span class="task">{}</span>
        <form method="post" action="/delete/{}"><button type="submit">Delete</button></form></li>"#,
            escape(&task.content),
            task.id
        );
    }
    let empty = match (tasks.is_empty(), number) {
        (false, _) => String::new(),
        (true, 1) => "\n    <p class=\"empty\">No tasks yet.</p>".into(),
        (true, n) => {
            format!("\n    <p class=\"empty\">No tasks on page {n}. <a href=\"/\">Back to the first page</a></p>")
        }
    };
    let mut nav = String::new();
    if !tasks.is_empty() && (number > 1 || has_next) {
        nav.push_str("\n    <nav>");
        if number > 1 {
            let _ = write!(nav, r#"<a href="{}" rel="prev">Previous</a>"#, href(number - 1));
        }
        let _ = write!(nav, "Page {number}");
        if has_next {
            let _ = write!(nav, r#"<a href="{}" rel="next">Next</a>"#, href(number + 1));
        }
        nav.push_str("</nav>");
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>To-Do List</title>
    <style>{STYLE}</style>
  </head>
  <body>
    <h1>To-Do List</h1>
    <form method="post" action="/add">
      <input type="text" name="task" placeholder="Add new task" maxlength="256" required>
      <button type="submit">Add</button>
    </form>{empty}
    <ul>{items}
    </ul>{nav}
  </body>
</html>
"#
    )
}

/// The link to page `n`: `/` for the first, `/?page=N` for the others.
fn href(n: u32) -> String {
    if n == 1 { "/".into() } else { format!("/?page={n}") }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(n: i64) -> Vec<Task> {
        (1..=n).map(|id| Task { id, content: format!("t{id}") }).collect()
    }

    #[test]
    fn the_style_block_holds_exactly_the_hashed_bytes() {
        let page = render(&[], 1, false);
        assert_eq!(page.matches("<style").count(), 1);
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn navigation_links_only_where_there_is_a_page() {
        let first = render(&tasks(2), 1, true);
        assert!(first.contains(r#"<nav>Page 1<a href="/?page=2" rel="next">Next</a></nav>"#), "{first}");
        let second = render(&tasks(2), 2, false);
        assert!(second.contains(r#"<nav><a href="/" rel="prev">Previous</a>Page 2</nav>"#), "{second}");
        let third = render(&tasks(2), 3, true);
        assert!(third.contains(r#"<a href="/?page=2" rel="prev">Previous</a>Page 3<a href="/?page=4" rel="next">"#));
        assert!(!render(&tasks(2), 1, false).contains("<nav>"));
        let past = render(&[], 9, false);
        assert!(past.contains("No tasks on page 9."), "{past}");
        assert!(!past.contains("<nav>"));
    }
}
