//! `validator run --config FILE`: flags from TOML, overridden by the command line.

use std::process::Command;

fn validator() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_validator"));
    c.env_remove("BT_WALLET_PASSWORD")
        .env_remove("BT_NETUID")
        .env_remove("BT_STATE_DIR");
    c
}

#[test]
fn config_file_then_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let wallets = dir.path().join("wallets");
    let made = validator()
        .args([
            "wallet",
            "create",
            "--wallet.name",
            "my",
            "--wallet.hotkey",
            "v0",
            "--wallet.path",
        ])
        .arg(&wallets)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let from_file = dir.path().join("from-file");
    let cfg = dir.path().join("validator.toml");
    std::fs::write(
        &cfg,
        format!(
            "netuid = 7\n[wallet]\nname = \"my\"\nhotkey = \"v0\"\npath = {:?}\n[subtensor]\nchain_endpoint = \"ws://127.0.0.1:1\"\n[state]\ndir = {:?}\n[neuron]\nmax_rounds = 0\n",
            wallets, from_file
        ),
    )
    .unwrap();
    // Zero rounds: the loop only writes its initial state, which shows which flags took effect.
    let out = validator()
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state =
        std::fs::read_to_string(from_file.join("state.json")).expect("state where the file said");
    assert!(state.contains("\"netuid\":7"), "{state}");

    let from_cli = dir.path().join("from-cli");
    let out = validator()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--netuid", "8", "--state.dir"])
        .arg(&from_cli)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(from_cli.join("state.json"))
        .unwrap()
        .contains("\"netuid\":8"));

    std::fs::write(&cfg, "[neuron]\nno_such_flag = 1\n").unwrap();
    let out = validator()
        .args(["run", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("neuron.no_such_flag"));
}
