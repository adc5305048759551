//! A table's column list written once: the `SELECT`/`INSERT` column text, the column count and
//! the function that binds a row's fields (named like the columns) in that order.

/// `columns!(COLS, N, bind_fn, Row: a, b, c)` declares `COLS = "a, b, c"`, `N = 3` and
/// `bind_fn(query, &row)`, which binds `row.a`, `row.b`, `row.c`. Adding a column is then one
/// name here (and the migration); the multi-row insert's placeholders follow `N`. A trailing
/// `; SELECT_COLS: d, e` also declares the text of the column list followed by columns that
/// inserts leave to their defaults (written later by one writer).
macro_rules! columns {
    ($cols:ident, $n:ident, $bind:ident, $row:ty: $($col:ident),+; $sel:ident: $($extra:ident),+ $(,)?) => {
        columns!($cols, $n, $bind, $row: $($col),+);
        pub(crate) const $sel: &str = stringify!($($col),+, $($extra),+);
    };
    ($cols:ident, $n:ident, $bind:ident, $row:ty: $($col:ident),+ $(,)?) => {
        pub(crate) const $cols: &str = stringify!($($col),+);
        pub(crate) const $n: usize = [$(stringify!($col)),+].len();
        /// Binds every column of the row, in column-list order.
        pub(crate) fn $bind<'q>(
            q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
            row: &'q $row,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
            q$(.bind(&row.$col))+
        }
    };
}
pub(crate) use columns;

#[cfg(test)]
mod tests {
    pub(crate) struct Row {
        a: i64,
        b: String,
        c: Option<String>,
    }
    columns!(COLS, N, bind_row, Row: a, b, c; SELECTED: d);

    #[test]
    fn one_list_gives_the_text_the_count_and_the_binds() {
        assert_eq!(COLS, "a, b, c");
        assert_eq!(SELECTED, "a, b, c, d");
        assert_eq!(N, 3);
        let row = Row {
            a: 1,
            b: "x".into(),
            c: None,
        };
        let _ = bind_row(sqlx::query("SELECT 1"), &row);
        assert_eq!((row.a, row.b.as_str(), row.c), (1, "x", None));
    }
}
