//! Child processes for tests: killed when dropped, every wait bounded. Shared by the tests of
//! `ssewire-tests` and, through `#[path]`, by `examples/tests/programs.rs`.

#![allow(dead_code)] // Each test target uses its own part.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// A child process, killed when dropped.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `process` to exit within `limit`, collecting what it prints on the pipes it has;
/// kills it and panics, with its stderr, if it takes longer. `what` names it in messages.
pub(crate) fn finish(mut process: Running, what: &str, limit: Duration) -> Output {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(process.0.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(process.0.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = process.0.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            drop(process);
            let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
            panic!("{what} did not exit within {limit:?}; stderr:\n{stderr}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Runs `command` (no stdin; stdout and stderr collected) to its end within `limit`.
pub(crate) fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    let what = format!("{command:?}");
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    finish(Running(child), &what, limit)
}

/// Starts `command` with stdout piped (stdin and stderr as the caller set them), and returns it
/// with the first line it printed, without its line end, read within `limit`. The rest of
/// stdout is drained in the background, so the child never blocks on a full pipe.
pub(crate) fn spawn_first_line(command: &mut Command, limit: Duration) -> (Running, String) {
    let what = format!("{command:?}");
    let child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    let mut process = Running(child);
    let stdout = process.0.stdout.take().expect("piped stdout");
    let (send, first_line) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = send.send(line);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = first_line
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} printed no first line within {limit:?}"));
    (process, line.trim_end().to_owned())
}

/// The URL a server of ours prints first: `listening on http://127.0.0.1:PORT/`.
pub(crate) fn listening_url(line: &str) -> String {
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let local = url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:");
    assert!(local && url.ends_with('/'), "{url}");
    url.to_owned()
}

/// A program of `ssewire-examples`, from the target directory this test was built into
/// (`target/debug/deps/web-HASH` → `target/debug/NAME`), or the program named by the variable
/// `NAME` in upper case with `_` for `-` (`$TICKER`, `$SSE_CAT`). Cargo
/// builds another package's binaries only for that package's own tests, so it must be built
/// first; a binary older than the example's sources is refused rather than tested.
pub(crate) fn example_program(name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(name.to_uppercase().replace('-', "_")) {
        return path.into();
    }
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps");
    let program = dir.join(name);
    let build = "cargo build -p ssewire-examples --bins";
    let built = modified(&program)
        .unwrap_or_else(|| panic!("{} not found: run `{build}` first", program.display()));
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for source in [format!("src/bin/{name}.rs"), format!("static/{name}.html")] {
        if let Some(changed) = modified(&examples.join(&source)) {
            assert!(
                changed <= built,
                "{} is older than examples/{source}: run `{build}` again",
                program.display()
            );
        }
    }
    program
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
