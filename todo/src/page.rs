//! The HTML of the list page, with every task text escaped.

use std::fmt::Write;

use crate::db::Task;

/// The whole page: title, the "Add new task" form, and the tasks with their Delete buttons.
pub fn render(tasks: &[Task]) -> String {
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
    let empty = if tasks.is_empty() { "\n    <p class=\"empty\">No tasks yet.</p>" } else { "" };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>To-Do List</title>
    <style>
      body {{ font-family: sans-serif; max-width: 40em; margin: 2em auto; }}
      li {{ margin: .4em 0; }} li form {{ display: inline; margin-left: 1em; }}
      .task {{ white-space: pre-wrap; }}
    </style>
  </head>
  <body>
    <h1>To-Do List</h1>
    <form method="post" action="/add">
      <input type="text" name="task" placeholder="Add new task" maxlength="256" required>
      <button type="submit">Add</button>
    </form>{empty}
    <ul>{items}
    </ul>
  </body>
</html>
"#
    )
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
