//! `--config FILE`: flags from a TOML file. Keys are the flag names, dotted or as tables
//! (`netuid = 2`, `[neuron] sample_size = 16`, `"wallet.name" = "my"`); booleans switch a flag
//! on; arrays become comma-separated values. The file's flags are placed before the command
//! line's, and later flags override earlier ones, so the command line wins; environment
//! variables fill in what neither sets.

use std::ffi::OsString;

use anyhow::{bail, Context, Result};

/// Replaces `--config FILE` (or `--config=FILE`) in `args` by the file's flags, placed right
/// after the subcommand. Returns `args` unchanged when there is no `--config`.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>> {
    let mut out = Vec::with_capacity(args.len());
    let mut file = None;
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("--config") => {
                let path = iter.next().context("--config needs a file")?;
                file = Some(std::path::PathBuf::from(path));
            }
            Some(s) if s.starts_with("--config=") => file = Some(s["--config=".len()..].into()),
            _ => out.push(arg),
        }
    }
    let Some(path) = file else { return Ok(out) };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut flags = Vec::new();
    flatten("", &toml::Value::Table(table), &mut flags)
        .with_context(|| format!("in {}", path.display()))?;
    // After the program name and the subcommand(s): the first argument that is a flag.
    let at = out
        .iter()
        .skip(1)
        .position(|a| a.to_str().is_some_and(|s| s.starts_with('-')))
        .map_or(out.len(), |p| p + 1);
    out.splice(at..at, flags);
    Ok(out)
}

fn flatten(prefix: &str, value: &toml::Value, flags: &mut Vec<OsString>) -> Result<()> {
    let flag = || OsString::from(format!("--{prefix}"));
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, flags)?;
            }
        }
        toml::Value::Boolean(true) => flags.push(flag()),
        toml::Value::Boolean(false) => {}
        toml::Value::String(s) => flags.extend([flag(), s.into()]),
        toml::Value::Integer(i) => flags.extend([flag(), i.to_string().into()]),
        toml::Value::Float(f) => flags.extend([flag(), f.to_string().into()]),
        toml::Value::Array(items) => {
            let parts: Result<Vec<String>> = items
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Integer(i) => Ok(i.to_string()),
                    toml::Value::Float(f) => Ok(f.to_string()),
                    _ => bail!("`{prefix}`: arrays may hold strings and numbers only"),
                })
                .collect();
            flags.extend([flag(), parts?.join(",").into()]);
        }
        toml::Value::Datetime(_) => bail!("`{prefix}`: dates are not flags"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_goes_before_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v.toml");
        std::fs::write(&f, "netuid = 2\n\"wallet.name\" = \"my\"\n[neuron]\nsample_size = 16\ntimeout = 2.5\n[metrics]\nport = 9100\n[x]\non = true\noff = false\n").unwrap();
        let out = expand(args(&[
            "validator",
            "run",
            "--netuid",
            "3",
            "--config",
            f.to_str().unwrap(),
        ]))
        .unwrap();
        let out: Vec<String> = out.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            out,
            [
                "validator",
                "run",
                "--metrics.port",
                "9100",
                "--netuid",
                "2",
                "--neuron.sample_size",
                "16",
                "--neuron.timeout",
                "2.5",
                "--wallet.name",
                "my",
                "--x.on",
                "--netuid",
                "3"
            ]
        );
        assert_eq!(
            expand(args(&["validator", "run"])).unwrap(),
            args(&["validator", "run"])
        );
        assert!(expand(args(&["validator", "run", "--config"])).is_err());
        std::fs::write(&f, "netuid = [").unwrap();
        assert!(
            expand(args(&["validator", "run", "--config", f.to_str().unwrap()]))
                .unwrap_err()
                .to_string()
                .contains("not valid TOML")
        );
    }
}
