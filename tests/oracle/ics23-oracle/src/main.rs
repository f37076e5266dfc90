//! ICS-23 oracle: reads cases, one a line, on stdin and prints the reference
//! implementation's verdict for each, one a line, on stdout.
//!
//! Case line (fields separated by one space, byte strings in lowercase hex):
//!   <spec> <m|n> <root> <proof> <key> <value|->
//!   spec: iavl | tendermint | smt (the crate's own iavl_spec/tendermint_spec/smt_spec)
//!   m: verify_membership(proof, spec, root, key, value); n: verify_non_membership (value "-")
//! Verdict line: "1" verified, "0" refused, "D" refused because the bytes do not decode as a
//! CommitmentProof (prost), "P" the crate panicked (counted as refused by the driver).
use std::io::{self, BufRead, BufWriter, Write};
use std::panic;

use ics23::{HostFunctionsManager, ProofSpec};
use prost::Message;

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd hex length {}", s.len()));
    }
    let nib = |c: u8| -> Result<u8, String> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            _ => Err(format!("bad hex digit {:?}", c as char)),
        }
    };
    let b = s.as_bytes();
    (0..b.len() / 2).map(|i| Ok(nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?)).collect()
}

fn verdict(spec: &ProofSpec, member: bool, root: &[u8], proof: &[u8], key: &[u8], value: &[u8]) -> char {
    let p = match ics23::CommitmentProof::decode(proof) {
        Ok(p) => p,
        Err(_) => return 'D',
    };
    let root = root.to_vec();
    let r = panic::catch_unwind(|| {
        if member {
            ics23::verify_membership::<HostFunctionsManager>(&p, spec, &root, key, value)
        } else {
            ics23::verify_non_membership::<HostFunctionsManager>(&p, spec, &root, key)
        }
    });
    match r {
        Ok(true) => '1',
        Ok(false) => '0',
        Err(_) => 'P',
    }
}

fn main() {
    // The crate's panics (e.g. ensure_left_neighbor pops an empty path) are verdicts here,
    // not crashes: keep stderr quiet.
    panic::set_hook(Box::new(|_| {}));
    let (iavl, tm, smt) = (ics23::iavl_spec(), ics23::tendermint_spec(), ics23::smt_spec());
    let stdin = io::stdin();
    let mut out = BufWriter::new(io::stdout().lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.expect("read stdin");
        let f: Vec<&str> = line.split(' ').collect();
        let bad = |why: String| -> ! {
            eprintln!("ics23-oracle: line {}: {}", n + 1, why);
            std::process::exit(2)
        };
        if f.len() != 6 {
            bad(format!("{} fields, want 6", f.len()));
        }
        let spec = match f[0] {
            "iavl" => &iavl,
            "tendermint" => &tm,
            "smt" => &smt,
            s => bad(format!("unknown spec {s:?}")),
        };
        let member = match f[1] {
            "m" => true,
            "n" => false,
            s => bad(format!("unknown kind {s:?}")),
        };
        let h = |s: &str| unhex(s).unwrap_or_else(|e| bad(e));
        let value = if f[5] == "-" { Vec::new() } else { h(f[5]) };
        let v = verdict(spec, member, &h(f[2]), &h(f[3]), &h(f[4]), &value);
        writeln!(out, "{v}").expect("write stdout");
    }
    out.flush().expect("flush stdout");
}
