//! The fan-out benchmark end to end, in its `smoke` scenario (50 streams, 20 events/s, 2 s, both
//! servers, a few seconds): every event delivered once, latencies measured. Sanity only: no
//! timing is judged here (the machine running the tests may be busy).

use std::process::Command;

#[test]
fn smoke_delivers_every_event_once_on_both_servers() {
    let output = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["--scenario", "smoke", "--check"])
        .output()
        .expect("fanout runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for server in ["ssewire", "baseline"] {
        assert!(stdout.contains(&format!("| 1 | {server} |")), "{stdout}");
    }
}
