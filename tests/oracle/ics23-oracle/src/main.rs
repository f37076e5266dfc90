//! ICS-23 oracle: reads cases, one a line, on stdin and prints the reference
//! implementation's verdict for each, one a line, on stdout.
//!
//! Case line (fields separated by one space, byte strings in lowercase hex):
//!   <spec> <m|n> <root> <proof> <key> <value|->
//!   spec: iavl | tendermint | smt (the crate's own iavl_spec/tendermint_spec/smt_spec)
//!   m: verify_membership(proof, spec, root, key, value); n: verify_non_membership (value "-")
//! Verdict line: "1" verified, "0" refused, "D" refused because the bytes do not decode as a
//! CommitmentProof (prost), "P" the crate panicked (counted as refused by the driver).
//!
//! `ics23-oracle --bench MS` (used by `make bench`, bench/bench_ics23.c): the same case lines,
//! each decoded and verified repeatedly for about MS milliseconds in 20 rounds; prints one line
//! per case, "<verdict> <ns>", ns = the fastest round's time per decode + verification.
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

fn bench(lines: &[String], ms: u64) {
    let (iavl, tm, smt) = (ics23::iavl_spec(), ics23::tendermint_spec(), ics23::smt_spec());
    let mut out = BufWriter::new(io::stdout().lock());
    for line in lines {
        let f: Vec<&str> = line.split(' ').collect();
        assert!(f.len() == 6, "bench: 6 fields per line");
        let spec = match f[0] {
            "iavl" => &iavl,
            "tendermint" => &tm,
            _ => &smt,
        };
        let member = f[1] == "m";
        let h = |s: &str| unhex(s).expect("bench: hex");
        let (root, proof, key) = (h(f[2]), h(f[3]), h(f[4]));
        let value = if f[5] == "-" { Vec::new() } else { h(f[5]) };
        let v = verdict(spec, member, &root, &proof, &key, &value);
        // Calibrate the iterations of one round to ~MS/20 ms, then keep the fastest round.
        let one = |iters: u64| -> f64 {
            let t = std::time::Instant::now();
            for _ in 0..iters {
                std::hint::black_box(verdict(spec, member, &root, &proof, &key, &value));
            }
            t.elapsed().as_nanos() as f64 / iters as f64
        };
        let per = one(100).max(1.0);
        let iters = (((ms as f64) * 1e6 / 20.0 / per) as u64).max(10);
        let best = (0..20).map(|_| one(iters)).fold(f64::INFINITY, f64::min);
        writeln!(out, "{v} {best:.0}").expect("write stdout");
    }
    out.flush().expect("flush stdout");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 && args[1] == "--bench" {
        let ms: u64 = args[2].parse().expect("--bench MS");
        let lines: Vec<String> = io::stdin().lock().lines().map(|l| l.expect("read stdin")).collect();
        return bench(&lines, ms);
    }
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
