//! List criteria: the conditions, order and page a caller asks of a list, checked against the
//! fields that list offers.
//!
//! A dialect hands over the caller's text (the OA dialect's `search` JSON and `order_by`);
//! [`Criteria::parse`] checks every field name against the list's field enum, every operator
//! against what the field's kind allows and every value against its type, and lowers the lot
//! into [`Test`]s over typed [`Value`]s. The repository renders those from the enums alone, so
//! no name or operator from a request ever becomes SQL text.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

use crate::clock::platform_zone;
use crate::model::Page;
use crate::{Error, Result};

/// What kind of values a field holds, which decides the operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole numbers: ids, sizes, counters, codes.
    Int,
    /// Text: compared exactly, or by `like` (contains, ignoring case).
    Text,
    /// A moment, stored as epoch seconds; given as seconds, a date or a date and time in the
    /// platform's zone. A value names a span (its second, minute or day), so `= 2020-01-01`
    /// matches the whole day and `<= 2020-12-30` includes that day.
    Time,
    Bool,
    /// "Belongs to": a user's departments or groups.
    Member,
    /// One of a fixed set of labels.
    Choice(&'static [&'static str]),
}

/// The fields of one list.
pub trait Field: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn kind(self) -> FieldKind;
}

/// Declares a list's field enum, its names and kinds.
macro_rules! fields {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $label:literal : $kind:expr),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),*
        }

        impl Field for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),*];

            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),*
                }
            }

            fn kind(self) -> FieldKind {
                match self {
                    $(Self::$variant => $kind),*
                }
            }
        }
    };
}

fields!(
    /// The users of an enterprise.
    UserField {
        UserId = "user_id": FieldKind::Int,
        UserName = "user_name": FieldKind::Text,
        Email = "email": FieldKind::Text,
        Phone = "phone": FieldKind::Text,
        IsAdmin = "is_admin": FieldKind::Bool,
        Active = "active": FieldKind::Bool,
        DepartmentId = "department_id": FieldKind::Member,
        GroupId = "group_id": FieldKind::Member,
        CreatedAt = "created_at": FieldKind::Time,
        LastLoginAt = "last_login_at": FieldKind::Time,
    }
);

fields!(
    /// The departments of an enterprise.
    DepartmentField {
        DepartmentId = "department_id": FieldKind::Int,
        DepartmentName = "department_name": FieldKind::Text,
        ParentId = "parent_id": FieldKind::Int,
        DirectorId = "director_id": FieldKind::Int,
        UserCount = "user_count": FieldKind::Int,
        ChildrenCount = "children_count": FieldKind::Int,
        CreatedAt = "created_at": FieldKind::Time,
    }
);

fields!(
    /// The groups of an enterprise.
    GroupField {
        GroupId = "group_id": FieldKind::Int,
        GroupName = "group_name": FieldKind::Text,
        Description = "description": FieldKind::Text,
        AdminUserId = "admin_user_id": FieldKind::Int,
        UserCount = "user_count": FieldKind::Int,
        IsVisible = "is_visible": FieldKind::Bool,
        CreatedAt = "created_at": FieldKind::Time,
    }
);

/// The labels of an item's `type`, in the order their indexes stand for.
pub const ITEM_TYPES: &[&str] = &["file", "folder"];

fields!(
    /// The live items of a folder.
    ItemField {
        ItemId = "item_id": FieldKind::Int,
        Name = "name": FieldKind::Text,
        Type = "type": FieldKind::Choice(ITEM_TYPES),
        Size = "size": FieldKind::Int,
        Description = "description": FieldKind::Text,
        OwnerId = "owner_id": FieldKind::Int,
        ModifiedBy = "modified_by": FieldKind::Int,
        CreatedAt = "created_at": FieldKind::Time,
        ModifiedAt = "modified_at": FieldKind::Time,
    }
);

fields!(
    /// An enterprise's audit log.
    AuditField {
        LogId = "log_id": FieldKind::Int,
        ActionType = "action_type": FieldKind::Int,
        OperatorId = "operator_id": FieldKind::Int,
        AppId = "app_id": FieldKind::Int,
        TargetId = "target_id": FieldKind::Int,
        TargetName = "target_name": FieldKind::Text,
        DepartmentId = "department_id": FieldKind::Int,
        Ip = "ip": FieldKind::Text,
        CreatedAt = "created_at": FieldKind::Time,
    }
);

/// The operators of the `search` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
    Between,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::In,
        Op::NotIn,
        Op::Like,
        Op::Between,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Like => "like",
            Op::Between => "between",
        }
    }

    /// The operator named `raw`: the document's spellings, any case, plus `<>` and `not in`.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        match raw.as_str() {
            "<>" => Some(Op::Ne),
            "not in" => Some(Op::NotIn),
            _ => Op::ALL.into_iter().find(|op| op.as_str() == raw),
        }
    }

    fn allowed(self, kind: FieldKind) -> bool {
        match kind {
            FieldKind::Int | FieldKind::Time => self != Op::Like,
            FieldKind::Text => matches!(self, Op::Eq | Op::Ne | Op::In | Op::NotIn | Op::Like),
            FieldKind::Bool => matches!(self, Op::Eq | Op::Ne),
            FieldKind::Member | FieldKind::Choice(_) => matches!(self, Op::Eq | Op::Ne | Op::In | Op::NotIn),
        }
    }
}

/// A typed value a field is compared with. `Choice` labels arrive as their index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// A comparison of a field with one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

/// What a row's field must pass. `Not` passes rows whose field is absent (null) too: "email
/// != x" keeps the users without an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    Cmp(Cmp, Value),
    /// Equal to one of the values; for `Member` fields, belongs to one of them.
    Any(Vec<Value>),
    /// Contains this text, ignoring case (already lowercased; no wildcards of its own).
    Contains(String),
    All(Vec<Test>),
    Either(Vec<Test>),
    Not(Box<Test>),
}

/// One condition of a list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition<F> {
    pub field: F,
    pub test: Test,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A checked list query: every condition holds (they are ANDed), rows come in `order` then
/// by the list's key, and `page` is `None` for "everything", which stops at [`UNPAGED_MAX`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria<F> {
    pub conditions: Vec<Condition<F>>,
    pub order: Vec<(F, Direction)>,
    pub page: Option<Page>,
}

/// The most rows a list answers without paging; beyond it the caller is told to page.
pub const UNPAGED_MAX: i64 = 10_000;
/// At most this many conditions, order keys, values in an `in` list and characters in a text.
pub const MAX_CONDITIONS: usize = 32;
pub const MAX_ORDER_KEYS: usize = 5;
pub const MAX_LIST_VALUES: usize = 1000;
pub const MAX_TEXT_CHARS: usize = 1000;

/// The caller's words, before they are checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListRequest<'a> {
    /// The `search` JSON: `{"field": [value, "op"], …}`, optionally wrapped in `{"search": …}`.
    pub search: Option<&'a str>,
    /// `{"field": "desc", …}`, `[["field", "desc"], "field", …]`, or `field desc, field`.
    pub order_by: Option<&'a str>,
    /// 1-based; 0 or none: no paging.
    pub page: Option<&'a str>,
    pub limit: Option<&'a str>,
}

impl<F: Field> Criteria<F> {
    pub fn parse(request: ListRequest<'_>) -> Result<Self> {
        let conditions = match request.search.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => Vec::new(),
            Some(raw) => parse_search(raw)?,
        };
        let order = match request.order_by.map(str::trim).filter(|raw| !raw.is_empty()) {
            None => Vec::new(),
            Some(raw) => parse_order(raw)?,
        };
        let number = |name: &str, raw: Option<&str>| -> Result<Option<i64>> {
            match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
                None => Ok(None),
                Some(raw) => raw
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| Error::invalid(name, "必须是整数")),
            }
        };
        let page = number("page", request.page)?.unwrap_or(0);
        let limit = number("limit", request.limit)?.unwrap_or(Page::DEFAULT_CAPACITY);
        if page < 0 {
            return Err(Error::invalid("page", "不能小于0"));
        }
        if !(1..=Page::MAX_CAPACITY).contains(&limit) {
            return Err(Error::invalid("limit", "必须在1-1000之间"));
        }
        Ok(Self {
            conditions,
            order,
            page: (page > 0).then_some(Page {
                page_id: page - 1,
                capacity: limit,
            }),
        })
    }

    /// The page to read: the asked one, or one row past [`UNPAGED_MAX`] when unpaged.
    pub fn window(&self) -> Page {
        self.page.unwrap_or(Page {
            page_id: 0,
            capacity: UNPAGED_MAX + 1,
        })
    }

    /// Refuses an unpaged answer that would be cut short.
    pub fn check_total(&self, total: i64) -> Result<()> {
        if self.page.is_none() && total > UNPAGED_MAX {
            return Err(Error::invalid("page", "结果超过10000条，请分页查询"));
        }
        Ok(())
    }

    /// Whether any condition or order key names `field`.
    pub fn mentions(&self, field: F) -> bool {
        self.conditions.iter().any(|condition| condition.field == field) || self.order.iter().any(|(f, _)| *f == field)
    }
}

fn field_named<F: Field>(name: &str, context: &str) -> Result<F> {
    F::ALL
        .iter()
        .copied()
        .find(|field| field.name() == name)
        .ok_or_else(|| Error::invalid(format!("{context}.{name}"), "不是可查询的字段"))
}

fn parse_search<F: Field>(raw: &str) -> Result<Vec<Condition<F>>> {
    let parsed: Json = serde_json::from_str(raw).map_err(|_| Error::invalid("search", "不是JSON对象"))?;
    let Json::Object(mut object) = parsed else {
        return Err(Error::invalid("search", "不是JSON对象"));
    };
    // The document prints the conditions wrapped in `{"search": …}`; both forms are taken.
    if object.len() == 1
        && let Some(Json::Object(inner)) = object.get("search")
    {
        object = inner.clone();
    }
    if object.len() > MAX_CONDITIONS {
        return Err(Error::invalid("search", "条件过多"));
    }
    object
        .iter()
        .map(|(name, spec)| {
            let field: F = field_named(name, "search")?;
            let at = format!("search.{name}");
            let (value, op) = split_condition(spec, &at)?;
            if !op.allowed(field.kind()) {
                return Err(Error::invalid(at, format!("不支持运算符{}", op.as_str())));
            }
            let test = lower(field.kind(), op, value, &at)?;
            Ok(Condition { field, test })
        })
        .collect()
}

/// `[value, "op"]`, `[value]` or a bare value (meaning `=`).
fn split_condition<'a>(spec: &'a Json, at: &str) -> Result<(&'a Json, Op)> {
    match spec {
        Json::Array(parts) => match parts.as_slice() {
            [value] => Ok((value, Op::Eq)),
            [value, Json::String(op)] => {
                let op = Op::parse(op).ok_or_else(|| Error::invalid(at, format!("未知运算符{op}")))?;
                Ok((value, op))
            }
            _ => Err(Error::invalid(at, "应为 [值, 运算符]")),
        },
        Json::Object(_) => Err(Error::invalid(at, "应为 [值, 运算符]")),
        value => Ok((value, Op::Eq)),
    }
}

/// A time value: the span `[from, until)` it names.
#[derive(Debug, Clone, Copy)]
struct Span {
    from: i64,
    until: i64,
}

impl Span {
    fn within(self) -> Test {
        Test::All(vec![
            Test::Cmp(Cmp::Ge, Value::Int(self.from)),
            Test::Cmp(Cmp::Lt, Value::Int(self.until)),
        ])
    }
}

fn lower(kind: FieldKind, op: Op, value: &Json, at: &str) -> Result<Test> {
    let many = |value: &Json| -> Result<Vec<Json>> {
        match value {
            Json::Array(values) if values.is_empty() => Err(Error::invalid(at, "列表不能为空")),
            Json::Array(values) if values.len() > MAX_LIST_VALUES => Err(Error::invalid(at, "列表过长")),
            Json::Array(values) => Ok(values.clone()),
            _ => Err(Error::invalid(at, format!("{}需要一个列表", op.as_str()))),
        }
    };
    let pair = |value: &Json| -> Result<(Json, Json)> {
        match value {
            Json::Array(bounds) if bounds.len() == 2 => Ok((bounds[0].clone(), bounds[1].clone())),
            _ => Err(Error::invalid(at, "between需要 [下限, 上限]")),
        }
    };
    if kind == FieldKind::Time {
        let span = |value: &Json| time_span(value, at);
        return Ok(match op {
            Op::Eq => span(value)?.within(),
            Op::Ne => Test::Not(Box::new(span(value)?.within())),
            Op::Gt => Test::Cmp(Cmp::Ge, Value::Int(span(value)?.until)),
            Op::Ge => Test::Cmp(Cmp::Ge, Value::Int(span(value)?.from)),
            Op::Lt => Test::Cmp(Cmp::Lt, Value::Int(span(value)?.from)),
            Op::Le => Test::Cmp(Cmp::Lt, Value::Int(span(value)?.until)),
            Op::In | Op::NotIn => {
                let spans = many(value)?
                    .iter()
                    .map(|value| span(value).map(Span::within))
                    .collect::<Result<Vec<_>>>()?;
                let any = Test::Either(spans);
                if op == Op::In { any } else { Test::Not(Box::new(any)) }
            }
            Op::Between => {
                let (low, high) = pair(value)?;
                Span {
                    from: span(&low)?.from,
                    until: span(&high)?.until,
                }
                .within()
            }
            Op::Like => unreachable!("refused by Op::allowed"),
        });
    }
    let one = |value: &Json| scalar(kind, value, at);
    Ok(match op {
        Op::Eq if kind == FieldKind::Member => Test::Any(vec![one(value)?]),
        Op::Ne if kind == FieldKind::Member => Test::Not(Box::new(Test::Any(vec![one(value)?]))),
        Op::Eq => Test::Cmp(Cmp::Eq, one(value)?),
        Op::Ne => Test::Not(Box::new(Test::Cmp(Cmp::Eq, one(value)?))),
        Op::Gt => Test::Cmp(Cmp::Gt, one(value)?),
        Op::Ge => Test::Cmp(Cmp::Ge, one(value)?),
        Op::Lt => Test::Cmp(Cmp::Lt, one(value)?),
        Op::Le => Test::Cmp(Cmp::Le, one(value)?),
        Op::In => Test::Any(many(value)?.iter().map(one).collect::<Result<_>>()?),
        Op::NotIn => Test::Not(Box::new(Test::Any(
            many(value)?.iter().map(one).collect::<Result<_>>()?,
        ))),
        Op::Like => match one(value)? {
            Value::Text(text) => Test::Contains(text.to_lowercase()),
            _ => return Err(Error::invalid(at, "like需要文本")),
        },
        Op::Between => {
            let (low, high) = pair(value)?;
            Test::All(vec![Test::Cmp(Cmp::Ge, one(&low)?), Test::Cmp(Cmp::Le, one(&high)?)])
        }
    })
}

/// A number given as a JSON number or as text.
fn integer(value: &Json) -> Option<i64> {
    match value {
        Json::Number(number) => number.as_i64(),
        Json::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn scalar(kind: FieldKind, value: &Json, at: &str) -> Result<Value> {
    match kind {
        FieldKind::Int | FieldKind::Member => integer(value)
            .map(Value::Int)
            .ok_or_else(|| Error::invalid(at, "必须是整数")),
        FieldKind::Text => {
            let text = match value {
                Json::String(text) => text.clone(),
                Json::Number(number) => number.to_string(),
                _ => return Err(Error::invalid(at, "必须是文本")),
            };
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(Error::invalid(at, "文本过长"));
            }
            Ok(Value::Text(text))
        }
        FieldKind::Bool => match value {
            Json::Bool(flag) => Ok(Value::Bool(*flag)),
            other => match integer(other) {
                Some(0) => Ok(Value::Bool(false)),
                Some(1) => Ok(Value::Bool(true)),
                _ => match other.as_str().map(str::trim) {
                    Some("true") => Ok(Value::Bool(true)),
                    Some("false") => Ok(Value::Bool(false)),
                    _ => Err(Error::invalid(at, "必须是true/false或1/0")),
                },
            },
        },
        FieldKind::Choice(labels) => value
            .as_str()
            .and_then(|label| labels.iter().position(|known| known.eq_ignore_ascii_case(label.trim())))
            .map(|index| Value::Int(index as i64))
            .ok_or_else(|| Error::invalid(at, format!("必须是{}之一", labels.join("/")))),
        FieldKind::Time => unreachable!("times are spans"),
    }
}

/// Epoch seconds (a number or digits), `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or
/// `YYYY-MM-DD HH:MM:SS` (a `T` may stand for the space) in the platform's zone.
fn time_span(value: &Json, at: &str) -> Result<Span> {
    let bad = || Error::invalid(at, "时间应为秒数或 YYYY-MM-DD [HH:MM[:SS]]");
    if let Some(seconds) = integer(value) {
        return Ok(Span {
            from: seconds,
            until: seconds.saturating_add(1),
        });
    }
    let text = value.as_str().map(str::trim).ok_or_else(bad)?;
    let zoned = |civil: jiff::civil::DateTime| -> Result<i64> {
        civil
            .to_zoned(platform_zone())
            .map(|zoned| zoned.timestamp().as_second())
            .map_err(|_| bad())
    };
    // Only the three documented forms: anything else (an offset, a zone, fractions) would be
    // read in the wrong zone or at the wrong precision.
    let normalized = text.replacen('T', " ", 1);
    let (format, length) = match normalized.len() {
        10 => ("%Y-%m-%d %H:%M:%S", 86_400),
        16 => ("%Y-%m-%d %H:%M", 60),
        19 => ("%Y-%m-%d %H:%M:%S", 1),
        _ => return Err(bad()),
    };
    let full = if length == 86_400 {
        format!("{normalized} 00:00:00")
    } else {
        normalized
    };
    let civil = jiff::civil::DateTime::strptime(format, &full).map_err(|_| bad())?;
    let from = zoned(civil)?;
    Ok(Span {
        from,
        until: from + length,
    })
}

/// The order keys as given, in the caller's order (a JSON object's keys keep theirs).
struct OrderKeys(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for OrderKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Keys;

        impl<'de> Visitor<'de> for Keys {
            type Value = OrderKeys;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("order keys")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<OrderKeys, E> {
                Ok(OrderKeys(text.split(',').map(split_key).collect()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<OrderKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some((field, direction)) = map.next_entry::<String, String>()? {
                    keys.push((field, direction));
                }
                Ok(OrderKeys(keys))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<OrderKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(OrderKeys(more)) = seq.next_element::<OrderKeys>()? {
                    if more.len() == 2 && more.iter().all(|(_, direction)| direction.is_empty()) {
                        // `["field", "desc"]`: a pair, not two fields.
                        keys.push((more[0].0.clone(), more[1].0.clone()));
                    } else {
                        keys.extend(more);
                    }
                }
                Ok(OrderKeys(keys))
            }
        }

        deserializer.deserialize_any(Keys)
    }
}

/// `field`, `field desc`, `-field`.
fn split_key(text: &str) -> (String, String) {
    let text = text.trim();
    if let Some(field) = text.strip_prefix('-') {
        return (field.trim().to_owned(), "desc".to_owned());
    }
    match text.split_once(char::is_whitespace) {
        Some((field, direction)) => (field.to_owned(), direction.trim().to_owned()),
        None => (text.to_owned(), String::new()),
    }
}

fn parse_order<F: Field>(raw: &str) -> Result<Vec<(F, Direction)>> {
    let keys = match serde_json::from_str::<OrderKeys>(raw) {
        Ok(keys) => keys.0,
        // Not JSON: the plain form, `created_at desc, user_id`.
        Err(_) if !raw.starts_with(['{', '[', '"']) => raw.split(',').map(split_key).collect(),
        Err(_) => return Err(Error::invalid("order_by", "格式无效")),
    };
    // A lone `["field", "desc"]` is one key with its direction.
    let keys = match keys.as_slice() {
        [(field, none), (direction, also_none)]
            if none.is_empty()
                && also_none.is_empty()
                && ["asc", "desc"].contains(&direction.to_ascii_lowercase().as_str()) =>
        {
            vec![(field.clone(), direction.clone())]
        }
        _ => keys,
    };
    if keys.len() > MAX_ORDER_KEYS {
        return Err(Error::invalid("order_by", "排序字段过多"));
    }
    keys.into_iter()
        .map(|(name, direction)| {
            let field: F = field_named(&name, "order_by")?;
            if field.kind() == FieldKind::Member {
                return Err(Error::invalid(format!("order_by.{name}"), "不能排序"));
            }
            let direction = match direction.to_ascii_lowercase().as_str() {
                "" | "asc" => Direction::Asc,
                "desc" => Direction::Desc,
                _ => return Err(Error::invalid(format!("order_by.{name}"), "应为asc或desc")),
            };
            Ok((field, direction))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(search: &str) -> Result<Criteria<UserField>> {
        Criteria::parse(ListRequest {
            search: Some(search),
            ..ListRequest::default()
        })
    }

    fn ordered(order_by: &str) -> Result<Vec<(UserField, Direction)>> {
        Criteria::<UserField>::parse(ListRequest {
            order_by: Some(order_by),
            ..ListRequest::default()
        })
        .map(|criteria| criteria.order)
    }

    fn only_test(search: &str) -> Test {
        let criteria = users(search).unwrap();
        assert_eq!(criteria.conditions.len(), 1);
        criteria.conditions[0].test.clone()
    }

    #[test]
    fn the_documents_example_shape_parses_with_or_without_its_wrapper() {
        let inner = r#"{"user_id": [1, "="], "department_id": [[1, 2], "in"], "user_name": ["name", "like"],
            "created_at": [["2020-01-01", "2020-12-30"], "between"]}"#;
        let wrapped = format!(r#"{{"search": {inner}}}"#);
        assert_eq!(users(inner).unwrap(), users(&wrapped).unwrap());
        assert_eq!(users(inner).unwrap().conditions.len(), 4);
    }

    #[test]
    fn a_day_names_the_whole_day_in_the_platform_zone() {
        // 2020-01-01 00:00 at +08:00 is 2019-12-31T16:00:00Z.
        let start = 1_577_808_000;
        assert_eq!(
            only_test(r#"{"created_at": ["2020-01-01", "="]}"#),
            Test::All(vec![
                Test::Cmp(Cmp::Ge, Value::Int(start)),
                Test::Cmp(Cmp::Lt, Value::Int(start + 86_400)),
            ])
        );
        assert_eq!(
            only_test(r#"{"created_at": ["2020-01-01", "<="]}"#),
            Test::Cmp(Cmp::Lt, Value::Int(start + 86_400))
        );
        assert_eq!(
            only_test(r#"{"created_at": ["2020-01-01 00:00:10", ">"]}"#),
            Test::Cmp(Cmp::Ge, Value::Int(start + 11))
        );
        assert_eq!(
            only_test(r#"{"created_at": [1577808000, ">="]}"#),
            Test::Cmp(Cmp::Ge, Value::Int(start))
        );
        assert_eq!(
            only_test(r#"{"created_at": ["2020-01-01T00:01", "="]}"#),
            Test::All(vec![
                Test::Cmp(Cmp::Ge, Value::Int(start + 60)),
                Test::Cmp(Cmp::Lt, Value::Int(start + 120)),
            ])
        );
    }

    #[test]
    fn between_dates_includes_both_days() {
        let start = 1_577_808_000;
        assert_eq!(
            only_test(r#"{"created_at": [["2020-01-01", "2020-01-02"], "between"]}"#),
            Test::All(vec![
                Test::Cmp(Cmp::Ge, Value::Int(start)),
                Test::Cmp(Cmp::Lt, Value::Int(start + 2 * 86_400)),
            ])
        );
    }

    #[test]
    fn membership_and_negations_lower_to_any_and_not() {
        assert_eq!(
            only_test(r#"{"department_id": [[3, "4"], "not_in"]}"#),
            Test::Not(Box::new(Test::Any(vec![Value::Int(3), Value::Int(4)])))
        );
        assert_eq!(
            only_test(r#"{"email": ["a@b.c", "<>"]}"#),
            Test::Not(Box::new(Test::Cmp(Cmp::Eq, Value::Text("a@b.c".into()))))
        );
        assert_eq!(only_test(r#"{"is_admin": "1"}"#), Test::Cmp(Cmp::Eq, Value::Bool(true)));
        assert_eq!(
            only_test(r#"{"user_name": ["Wang", "LIKE"]}"#),
            Test::Contains("wang".into())
        );
    }

    #[test]
    fn unknown_fields_operators_and_bad_values_are_refused_by_name() {
        let field_of = |search: &str| match users(search) {
            Err(Error::Invalid(fields)) => fields[0].field.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(field_of(r#"{"password_hash": ["x", "="]}"#), "search.password_hash");
        assert_eq!(
            field_of(r#"{"user_id": [1, "; drop table user_account"]}"#),
            "search.user_id"
        );
        assert_eq!(field_of(r#"{"user_id": ["1 or 1=1", "="]}"#), "search.user_id");
        assert_eq!(field_of(r#"{"user_id": [1, "like"]}"#), "search.user_id");
        assert_eq!(field_of(r#"{"is_admin": [true, ">"]}"#), "search.is_admin");
        assert_eq!(field_of(r#"{"user_id": [[], "in"]}"#), "search.user_id");
        assert_eq!(field_of(r#"{"user_id": [1, "in"]}"#), "search.user_id");
        assert_eq!(field_of(r#"{"created_at": ["yesterday", ">"]}"#), "search.created_at");
        assert_eq!(
            field_of(r#"{"created_at": [["2020-01-01"], "between"]}"#),
            "search.created_at"
        );
        for other_zone in [
            "2020-01-01T00:00:00+00:00",
            "2020-01-01T10:00+08:00",
            "2020-01-01T10",
            "2020-1-1",
        ] {
            let search = format!(r#"{{"created_at": ["{other_zone}", "="]}}"#);
            assert_eq!(field_of(&search), "search.created_at", "{other_zone}");
        }
        assert_eq!(field_of(r#"[1, 2]"#), "search");
        assert_eq!(field_of("not json"), "search");
    }

    #[test]
    fn order_keys_keep_the_callers_order_in_every_form() {
        let expected = vec![
            (UserField::CreatedAt, Direction::Desc),
            (UserField::UserId, Direction::Asc),
        ];
        assert_eq!(
            ordered(r#"{"created_at": "desc", "user_id": "asc"}"#).unwrap(),
            expected
        );
        assert_eq!(ordered(r#"[["created_at", "desc"], "user_id"]"#).unwrap(), expected);
        assert_eq!(ordered(r#"["-created_at", {"user_id": "asc"}]"#).unwrap(), expected);
        assert_eq!(ordered("created_at desc, user_id").unwrap(), expected);
        assert_eq!(ordered(r#""created_at DESC,user_id""#).unwrap(), expected);
        assert_eq!(ordered(r#"["created_at", "desc"]"#).unwrap(), expected[..1]);
        assert!(ordered(r#"{"department_id": "asc"}"#).is_err());
        assert!(ordered(r#"{"user_id": "sideways"}"#).is_err());
        assert!(ordered(r#"{"user_id) desc; --": "asc"}"#).is_err());
    }

    #[test]
    fn pages_count_from_one_and_zero_means_all() {
        let parse = |page: &str, limit: &str| {
            Criteria::<UserField>::parse(ListRequest {
                page: Some(page),
                limit: Some(limit),
                ..ListRequest::default()
            })
        };
        assert_eq!(
            parse("2", "50").unwrap().page,
            Some(Page {
                page_id: 1,
                capacity: 50
            })
        );
        let all = parse("0", "50").unwrap();
        assert_eq!(all.page, None);
        assert_eq!(all.window().capacity, UNPAGED_MAX + 1);
        assert!(all.check_total(UNPAGED_MAX).is_ok());
        assert!(all.check_total(UNPAGED_MAX + 1).is_err());
        assert!(parse("-1", "50").is_err());
        assert!(parse("1", "0").is_err());
        assert!(parse("1", "1001").is_err());
        assert!(parse("x", "10").is_err());
    }
}
