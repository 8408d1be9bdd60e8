//! The offline subcommands as an operator runs them: JSON on stdin, JSON on stdout, and a
//! clear message with a non-zero exit status on bad input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_validator"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the validator binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    child
        .wait_with_output()
        .expect("the validator binary exits")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn process_weights_prints_what_set_weights_sends() {
    let out = run(
        &["process-weights"],
        r#"{"uids":[0,1,2,3],"weights":[0.0,1.0,2.0,"-Infinity"],"n":4,"min_allowed_weights":2,"max_weight_limit":1.0,"exclude_quantile":0}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        r#"{"uids":[1,2],"weights_u16":[32768,65535]}"#
    );
}

#[test]
fn bad_inputs_fail_with_a_clear_message() {
    let cases = [
        ("", "stdin is empty"),
        ("{", "must be a JSON object"),
        (
            r#"{"uids":[0],"weights":[1,2],"n":1,"min_allowed_weights":1,"max_weight_limit":1}"#,
            "same length",
        ),
        (
            r#"{"uids":[5],"weights":[1],"n":3,"min_allowed_weights":1,"max_weight_limit":1}"#,
            "uid 5 is out of range",
        ),
        (
            r#"{"uids":[1,1],"weights":[1,1],"n":3,"min_allowed_weights":1,"max_weight_limit":1}"#,
            "more than once",
        ),
        (
            r#"{"uids":[0],"weights":[1],"n":3,"min_allowed_weights":1,"max_weight_limit":1.5}"#,
            "max_weight_limit must be",
        ),
        (
            r#"{"uids":[70000],"weights":[1],"n":3,"min_allowed_weights":1,"max_weight_limit":1}"#,
            "uids[0] = 70000",
        ),
        (
            r#"{"uids":[0],"weights":["lots"],"n":3,"min_allowed_weights":1,"max_weight_limit":1}"#,
            "must be a JSON object",
        ),
    ];
    for (input, message) in cases {
        let out = run(&["process-weights"], input);
        assert!(!out.status.success(), "accepted {input}");
        assert!(stdout(&out).is_empty(), "printed a result for {input}");
        assert!(
            stderr(&out).contains(message),
            "for {input}: expected {message:?} in {:?}",
            stderr(&out)
        );
    }
}

#[test]
fn epoch_rejects_a_malformed_input() {
    let out = run(&["epoch"], r#"{"stake":"a lot"}"#);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a valid epoch input"),
        "{}",
        stderr(&out)
    );
}
