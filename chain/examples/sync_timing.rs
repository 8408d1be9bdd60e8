//! Times metagraph sync against a live node, for `scripts/bench-metagraph-vs-sdk.sh`:
//! `sync_timing ENDPOINT NETUID RUNS` prints `{"n":…,"runs":…,"median_ms":…,"min_ms":…,
//! "runtime_api_median_ms":…}`. The connection and metadata are set up once, before the timed
//! runs (as the SDK's are). The last figure is one `SubnetInfoRuntimeApi.get_subnet_state`
//! call alone, for comparison: the SDKs' metagraphs read through such runtime-API calls, our
//! sync reads storage only, and on chopsticks a runtime execution costs far more than on a
//! node.

use std::time::{Duration, Instant};

use bt_chain::{metagraph, Chain};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: sync_timing ENDPOINT NETUID RUNS";
    let endpoint = args.get(1).ok_or(usage)?;
    let netuid: u16 = args.get(2).ok_or(usage)?.parse()?;
    let runs: usize = args.get(3).ok_or(usage)?.parse()?;
    let chain = Chain::connect(endpoint, Duration::from_secs(60)).await?;
    let warm = metagraph::sync(&chain, netuid, None).await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let mg = metagraph::sync(&chain, netuid, None).await?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        assert_eq!(mg.n(), warm.n());
    }
    times.sort_by(f64::total_cmp);
    let mut api_times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let at = chain.at_best().await?;
        let call = subxt::dynamic::runtime_api_call::<_, subxt::dynamic::Value>(
            "SubnetInfoRuntimeApi",
            "get_subnet_state",
            (netuid,),
        );
        let start = Instant::now();
        at.runtime_apis().call(call).await?;
        api_times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    api_times.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "n": warm.n(),
            "runs": times.len(),
            "median_ms": times[times.len() / 2],
            "min_ms": times[0],
            "runtime_api_median_ms": api_times[api_times.len() / 2],
        })
    );
    Ok(())
}
