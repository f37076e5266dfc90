//! Test oracle (never linked into Causeway): reads one case per line on stdin
//! {"trusted": LightBlock, "untrusted": LightBlock, "trusting_period_ns", "max_clock_drift_ns",
//!  "trust_level": {"numerator", "denominator"}, "now": RFC 3339}
//! and prints "VERDICT Reason" per line, as tendermint-light-client-verifier 0.41.0's
//! ProdVerifier::verify_update_header decides (a light block its serde refuses: INVALID Malformed).
use std::io::{BufRead, Write};
use std::time::Duration;

use tendermint::Time;
use tendermint_light_client_verifier::{
    options::Options,
    types::{LightBlock, TrustThreshold},
    ProdVerifier, Verdict, Verifier,
};

fn name_of<T: std::fmt::Debug>(d: &T) -> String {
    let s = format!("{:?}", d);
    s.split(|c: char| c == '(' || c == ' ' || c == '{').next().unwrap_or("").to_string()
}

fn one(v: &serde_json::Value) -> String {
    let t: LightBlock = match serde_json::from_value(v["trusted"].clone()) {
        Ok(t) => t,
        Err(e) => return format!("ERROR trusted: {}", e),
    };
    let u: LightBlock = match serde_json::from_value(v["untrusted"].clone()) {
        Ok(u) => u,
        Err(e) => {
            if std::env::var_os("TM_ORACLE_WHY").is_some() {
                eprintln!("untrusted: {}", e);
            }
            return "INVALID Malformed".to_string();
        }
    };
    let tl = &v["trust_level"];
    let opts = Options {
        trust_threshold: TrustThreshold::new(
            tl["numerator"].as_u64().unwrap(),
            tl["denominator"].as_u64().unwrap(),
        )
        .unwrap(),
        trusting_period: Duration::from_nanos(v["trusting_period_ns"].as_u64().unwrap()),
        clock_drift: Duration::from_nanos(v["max_clock_drift_ns"].as_u64().unwrap()),
    };
    let now = Time::parse_from_rfc3339(v["now"].as_str().unwrap()).unwrap();
    match ProdVerifier::default().verify_update_header(
        u.as_untrusted_state(),
        t.as_trusted_state(),
        &opts,
        now,
    ) {
        Verdict::Success => "SUCCESS".to_string(),
        Verdict::NotEnoughTrust(_) => "NOT_ENOUGH_TRUST NotEnoughTrust".to_string(),
        Verdict::Invalid(d) => format!("INVALID {}", name_of(&d)),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        writeln!(out, "{}", one(&v)).unwrap();
    }
}
