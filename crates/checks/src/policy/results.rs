//! A `deny` or `warn` result turned into findings: each element a message, or an object with
//! a message and where it is.

use drydock_model::{CheckFinding, CheckLocation, Severity};
use regorus::Value;

use super::PolicyRule;

pub const DENY: &str = "deny";
pub const WARN: &str = "warn";

/// The keys a result object may have.
const RESULT_KEYS: [&str; 6] = ["msg", "path", "object", "line", "column", "layer"];

/// The findings of rule `name` (`deny` or `warn`) of `rule`, located at `default` unless a
/// result says where. The error says which element is wrong and why.
pub fn findings(
    rule: &PolicyRule,
    name: &str,
    value: &Value,
    default: &CheckLocation,
) -> Result<Vec<CheckFinding>, String> {
    let elements: Vec<&Value> = match value {
        // A partial rule with no match is an empty set; a complete rule that is not true
        // anywhere is undefined. Neither reports anything.
        Value::Undefined => return Ok(Vec::new()),
        Value::Set(set) => set.iter().collect(),
        Value::Array(array) => array.iter().collect(),
        other => {
            return Err(format!(
                "`{name}` must be a set of messages or objects, not {}",
                describe(other)
            ));
        }
    };
    let severity = if name == WARN { Severity::Low } else { rule.severity };
    elements
        .into_iter()
        .map(|element| {
            let (message, location) = element_fields(element, default)
                .map_err(|reason| format!("a `{name}` result {}: {reason}", shown(element)))?;
            Ok(CheckFinding {
                rule: rule.id.clone(),
                severity,
                title: rule.title.clone(),
                message,
                remediation: rule.remediation.clone(),
                location,
                cis: rule.cis.clone(),
            })
        })
        .collect()
}

fn element_fields(element: &Value, default: &CheckLocation) -> Result<(String, CheckLocation), String> {
    let mut location = default.clone();
    let object = match element {
        Value::String(message) => return Ok((message.to_string(), location)),
        Value::Object(object) => object,
        other => return Err(format!("is {}, not a string or an object", describe(other))),
    };
    let mut message = None;
    for (key, value) in object.iter() {
        let Value::String(key) = key else {
            return Err(format!("has the key {}, but keys must be strings", shown(key)));
        };
        match key.as_ref() {
            "msg" => message = Some(text(key, value)?),
            "path" => location.path = Some(text(key, value)?),
            "object" => location.object = Some(text(key, value)?),
            "line" => location.line = Some(number(key, value)?),
            "column" => location.column = Some(number(key, value)?),
            "layer" => location.layer = Some(number::<usize>(key, value)?),
            other => {
                return Err(format!(
                    "has the key `{other}`; a result object may only have {}",
                    RESULT_KEYS.map(|k| format!("`{k}`")).join(", ")
                ));
            }
        }
    }
    let message = message.ok_or("has no `msg`")?;
    Ok((message, location))
}

fn text(key: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.to_string()),
        other => Err(format!("`{key}` must be a string, not {}", describe(other))),
    }
}

fn number<T: TryFrom<u64>>(key: &str, value: &Value) -> Result<T, String> {
    value
        .as_u64()
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("`{key}` must be a non-negative whole number, not {}", shown(value)))
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Set(_) => "a set",
        Value::Object(_) => "an object",
        Value::Undefined => "undefined",
    }
}

/// A value as JSON, cut short: errors quote the result that was wrong.
fn shown(value: &Value) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| describe(value).to_string());
    match json.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &json[..cut]),
        None => json,
    }
}
