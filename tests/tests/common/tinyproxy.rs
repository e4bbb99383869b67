//! Debian's tinyproxy for tests, on a free loopback port, stopped when dropped. Shared
//! through `#[path]` by `adapters/futures/tests/proxy.rs` and `examples/tests/programs.rs`.

#![allow(dead_code)] // Each test target uses its own part.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A tinyproxy of its own: killed, and its directory removed, when dropped.
pub(crate) struct Tinyproxy {
    child: Child,
    dir: PathBuf,
    pub(crate) port: u16,
}

impl Tinyproxy {
    /// Starts one on a free loopback port; with `credentials`, it asks for them (Basic).
    pub(crate) fn start(credentials: Option<(&str, &str)>) -> Tinyproxy {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ssewire-tinyproxy-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\nLogLevel Connect\n\
             LogFile \"{}\"\n",
            dir.join("log").display()
        );
        if let Some((user, password)) = credentials {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_path = dir.join("tinyproxy.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy, which ci.sh installs (Debian package tinyproxy-bin)");
        let proxy = Tinyproxy { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tinyproxy did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        proxy
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until its log has a line with `text` (it is written as requests come).
    pub(crate) fn logged(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            if log.contains(text) {
                return true;
            }
            if Instant::now() > deadline {
                eprintln!("tinyproxy log:\n{log}");
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nothing listens on (just released).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
