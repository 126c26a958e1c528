//! A small evaluator of IAM identity policies, for tests that check what a generated role
//! may do: an action on a resource is allowed when an `Allow` statement matches both and no
//! `Deny` statement does (IAM's evaluation of identity policies without conditions,
//! boundaries or SCPs; `*` and `?` wildcards as IAM matches them, actions case-insensitively).
//! Conditions are not evaluated: the generated identity policies use none.

use serde_json::Value;

/// A policy document as IAM returns it (URL-encoded, or not) as JSON.
pub fn policy_json(doc: &str) -> Value {
    serde_json::from_str(doc)
        .or_else(|_| serde_json::from_str(&percent_decode(doc)))
        .expect("a JSON policy document")
}

/// Decodes `%XX` escapes (IAM returns policy documents URL-encoded).
pub fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

fn matches(statement: &Value, action: &str, resource: &str) -> bool {
    let action_ok = strings(&statement["Action"])
        .iter()
        .any(|a| glob(&a.to_lowercase(), &action.to_lowercase()));
    let resource_ok = strings(&statement["Resource"])
        .iter()
        .any(|r| glob(r, resource));
    action_ok && resource_ok
}

/// Whether the policies together allow `action` on `resource`.
pub fn allowed(policies: &[Value], action: &str, resource: &str) -> bool {
    let statements: Vec<&Value> = policies
        .iter()
        .flat_map(|p| match &p["Statement"] {
            Value::Array(a) => a.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect();
    let effect = |e: &str| {
        statements
            .iter()
            .any(|s| s["Effect"] == e && matches(s, action, resource))
    };
    effect("Allow") && !effect("Deny")
}

/// The inline policy `mosia-workload` (None without one) and the trust policy of `role`.
pub async fn role_documents(iam: &aws_sdk_iam::Client, role: &str) -> (Option<Value>, Value) {
    let decode = policy_json;
    let trust = iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .expect("the role");
    let trust = decode(trust.role().unwrap().assume_role_policy_document().unwrap());
    let policy = iam
        .get_role_policy()
        .role_name(role)
        .policy_name("mosia-workload")
        .send()
        .await
        .ok()
        .map(|p| decode(p.policy_document()));
    (policy, trust)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_and_deny_as_iam_evaluates_them() {
        assert!(glob("orders.*", "orders.created"));
        assert!(!glob("orders.*", "payments.created"));
        assert!(glob("a?c", "abc") && !glob("a?c", "abbc"));
        let p = json!({"Statement": [
            {"Effect": "Allow", "Action": ["kafka-cluster:ReadData"], "Resource": "arn:t/orders.*"},
            {"Effect": "Deny", "Action": "kafka-cluster:*", "Resource": "arn:t/orders.secret"}
        ]});
        assert!(allowed(
            std::slice::from_ref(&p),
            "kafka-cluster:readdata",
            "arn:t/orders.created"
        ));
        assert!(!allowed(
            std::slice::from_ref(&p),
            "kafka-cluster:ReadData",
            "arn:t/orders.secret"
        ));
        assert!(!allowed(
            &[p],
            "kafka-cluster:WriteData",
            "arn:t/orders.created"
        ));
    }
}
