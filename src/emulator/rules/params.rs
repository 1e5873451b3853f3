//! Parameter parsing shared by the actions: missing and invalid parameters, `Name.N` lists,
//! tag filters, JSON ID lists, and the two paging schemes of the Describe actions.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Body, Request};
use crate::emulator::catalog::{ApiError, Code};

pub(super) fn missing(name: &str) -> ApiError {
    ApiError::detail(
        Code::MissingParameter,
        format!(
            "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
        ),
    )
}

pub(super) fn invalid(text: impl Into<String>) -> ApiError {
    ApiError::detail(Code::InvalidParameter, text)
}

/// `Name.1`, `Name.2`, … in numeric order.
pub(super) fn repeat_list(req: &Request, name: &str) -> Vec<String> {
    let prefix = format!("{name}.");
    let mut items: Vec<(u64, String)> = req
        .params
        .iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix(&prefix)?.parse::<u64>().ok()?;
            Some((n, v.clone()))
        })
        .collect();
    items.sort();
    items.into_iter().map(|(_, v)| v).collect()
}

/// `Tag.N.Key` / `Tag.N.Value` filters: every pair must match; a key alone matches any value.
pub(super) fn tag_filters(req: &Request) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut tags = Vec::new();
    for n in 1..=20 {
        let key = req.get(&format!("Tag.{n}.Key"));
        let value = req.get(&format!("Tag.{n}.Value"));
        match (key, value) {
            (Some(k), v) => tags.push((k.to_owned(), v.map(str::to_owned))),
            (None, Some(_)) => {
                return Err(invalid(format!(
                    "Tag.{n}.Value is given without Tag.{n}.Key."
                )));
            }
            (None, None) => {}
        }
    }
    Ok(tags)
}

pub(super) fn tags_match(
    tags: &BTreeMap<String, String>,
    filters: &[(String, Option<String>)],
) -> bool {
    filters.iter().all(|(k, v)| match (tags.get(k), v) {
        (Some(have), Some(want)) => have == want,
        (Some(_), None) => true,
        (None, _) => false,
    })
}

pub(super) fn tags_json(tags: &BTreeMap<String, String>) -> Value {
    let tag: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    json!({ "Tag": tag })
}

pub(super) fn json_id_list(req: &Request, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = req.get(name) else {
        return Ok(None);
    };
    let ids: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        invalid(format!(
            "The specified parameter \"{name}\" is not valid: expected a JSON array of IDs such as [\"id-1\",\"id-2\"]."
        ))
    })?;
    if ids.len() > 100 {
        return Err(invalid(format!(
            "The specified parameter \"{name}\" holds {} IDs; at most 100 are allowed.",
            ids.len()
        )));
    }
    Ok(Some(ids))
}

/// Page or token paging, as the Describe actions read it.
pub(super) struct Paging {
    token: Option<Option<String>>,
    size: usize,
    number: usize,
}

pub(super) struct PageLimits {
    pub(super) default_size: usize,
    pub(super) max_page_size: usize,
    pub(super) min_results: usize,
    pub(super) max_results: usize,
}

pub(super) fn paging(req: &Request, limits: &PageLimits) -> Result<Paging, ApiError> {
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        req.get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    invalid(format!(
                        "The specified parameter \"{name}\" is not valid: `{v}` is not a whole number."
                    ))
                })
            })
            .transpose()
    };
    let token = req.get("NextToken").map(str::to_owned);
    let max_results = number("MaxResults")?;
    if token.is_some() || max_results.is_some() {
        let size = max_results
            .unwrap_or(limits.default_size)
            .clamp(limits.min_results, limits.max_results);
        return Ok(Paging {
            token: Some(token),
            size,
            number: 1,
        });
    }
    let page_number = number("PageNumber")?.unwrap_or(1);
    if page_number == 0 {
        return Err(invalid(
            "The specified parameter \"PageNumber\" is not valid: it starts at 1.",
        ));
    }
    let size = number("PageSize")?.unwrap_or(limits.default_size);
    if size == 0 || size > limits.max_page_size {
        return Err(invalid(format!(
            "The specified parameter \"PageSize\" is not valid: use 1 to {}.",
            limits.max_page_size
        )));
    }
    Ok(Paging {
        token: None,
        size,
        number: page_number,
    })
}

/// Cuts one page out of `items`; the next token is the ID of the first item of the next page.
pub(super) fn page<T>(
    items: Vec<T>,
    id: impl Fn(&T) -> &str,
    paging: &Paging,
) -> Result<(Vec<T>, String, usize), ApiError> {
    let total = items.len();
    let start = match &paging.token {
        Some(Some(token)) => items.iter().position(|i| id(i) == token).ok_or_else(|| {
            invalid("The specified parameter \"NextToken\" is not valid; start again without it.")
        })?,
        Some(None) => 0,
        None => (paging.number - 1).saturating_mul(paging.size),
    };
    let next = match &paging.token {
        Some(_) => items
            .get(start + paging.size)
            .map(|i| id(i).to_owned())
            .unwrap_or_default(),
        None => String::new(),
    };
    let page = items.into_iter().skip(start).take(paging.size).collect();
    Ok((page, next, total))
}

pub(super) fn paged_body(
    mut body: Body,
    paging: &Paging,
    next: String,
    total: usize,
    with_total: bool,
) -> Body {
    if paging.token.is_none() {
        body.insert("PageNumber".into(), json!(paging.number));
        body.insert("PageSize".into(), json!(paging.size));
        body.insert("TotalCount".into(), json!(total));
    } else {
        body.insert("MaxResults".into(), json!(paging.size));
        if with_total {
            body.insert("TotalCount".into(), json!(total));
        }
    }
    body.insert("NextToken".into(), json!(next));
    body
}
