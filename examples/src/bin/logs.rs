//! `logs`: `tail -f` over Server-Sent Events (smol).
//!
//! It shows a [`Hub`] fed from a plain thread (publishing never waits, so no async is needed
//! on that side) and events with IDs chosen by the publisher: each new line of a file, or of
//! stdin, becomes an event `line` whose ID is its number, so a client that reconnects gets
//! the lines it missed from the replay window.
//!
//! - With `--file PATH` it polls the file (every 200 ms), sends what was appended, and starts
//!   over when the file shrinks (truncated, or rotated by copy and truncate) or, on Unix, when
//!   the path names another file (rotated by renaming, as logrotate does by default).
//! - Without it, it reads stdin; at its end it sends a note and keeps serving.
//!
//! Lines are numbered 1, 2, 3, … from the start of the program, across truncations, so that
//! IDs never repeat. Notes (`message` events: truncation, rotation, end of input) get the ID of
//! the line before them with a suffix, such as `12-truncated`. `/` is a page that shows them.
//!
//! ```text
//! cargo run -p ssewire-examples --bin logs -- --file /var/log/syslog
//! journalctl -f | cargo run -p ssewire-examples --bin logs
//! curl -N http://127.0.0.1:8082/events
//! ```
//!
//! The first line on stdout is `listening on http://ADDR/`.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::Duration;

use clap::Parser;
use ssewire_examples::{positive, print_listening};
use ssewire_futures::rt::Smol;
use ssewire_futures::server::{self, Reply, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};

/// Lines longer than this are cut into pieces of this size, each an event.
const MAX_LINE: usize = 64 * 1024;

/// logs: tail a file or stdin over Server-Sent Events (smol)
///
/// Streams each new line as an event `line` with the line's number as its ID at /events, and
/// notes (truncation, rotation, end of input) as plain `message` events; / is a page that
/// shows them.
/// Prints `listening on http://ADDR/` on stdout first.
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    verbatim_doc_comment,
    args_override_self = true,
    after_help = "Exit status: 0 never (it runs until killed), 1 if it cannot listen or open the file, 2 for a\nbad command line."
)]
struct Options {
    /// Address to listen on; port 0 picks one
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8082")]
    addr: String,
    /// Tail this file [default: read stdin]
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// Send the file's existing lines first (to clients connected by then; others get the
    /// lines that follow) [default: only new lines]
    #[arg(long = "from-start")]
    from_start: bool,
    /// How often the file's length is checked, in milliseconds
    #[arg(long = "poll-ms", value_name = "MS", default_value_t = 200,
          value_parser = positive)]
    poll_ms: u64,
    /// Serve /events only to requests with a token listed in this file (one a line), as
    /// `Authorization: Bearer TOKEN` or `?token=TOKEN`; 401 otherwise. Read at each request:
    /// edit it to revoke a token
    #[arg(long = "token-file", value_name = "PATH")]
    token_file: Option<PathBuf>,
}

/// Whether `request` may have the stream: always without a token file; with one, if it
/// brings a token listed there (`Authorization: Bearer`, or `?token=` for a browser's
/// `EventSource`, which sends no header of its own).
async fn allowed(request: &Request, tokens: Option<&std::path::Path>) -> bool {
    let Some(path) = tokens else {
        return true;
    };
    let from_header = request
        .header("Authorization")
        .and_then(|value| value.strip_prefix("Bearer "));
    let from_query = request
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("token="));
    let Some(token) = from_header.or(from_query).filter(|t| !t.is_empty()) else {
        return false;
    };
    // A file that cannot be read lets nobody in.
    let listed = smol::fs::read_to_string(path).await.unwrap_or_default();
    listed.lines().any(|line| line.trim() == token)
}

/// `401`, with the scheme to use.
fn unauthorized() -> Reply {
    let reply = Reply::text(401, "a token, please: Authorization: Bearer TOKEN\n");
    reply
        .clone()
        .header("WWW-Authenticate", "Bearer")
        .unwrap_or(reply)
}

/// Numbers lines and publishes them.
struct Lines {
    hub: Hub,
    /// The number of the last line published.
    count: u64,
}

impl Lines {
    /// Publishes one line (without its line ending; invalid UTF-8 is replaced).
    fn line(&mut self, bytes: &[u8]) {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        for piece in bytes
            .chunks(MAX_LINE)
            .chain(bytes.is_empty().then_some(&b""[..]))
        {
            self.count += 1;
            let text = String::from_utf8_lossy(piece);
            let event = Event::new(text).event("line").id(self.count.to_string());
            if let Err(error) = self.hub.publish(event) {
                eprintln!("logs: {error}");
            }
        }
    }

    /// Publishes a note, a `message` event.
    fn note(&mut self, what: &str, text: &str) {
        let event = Event::new(text).id(format!("{}-{what}", self.count));
        if let Err(error) = self.hub.publish(event) {
            eprintln!("logs: {error}");
        }
    }
}

/// Publishes the lines of stdin, then a note at its end.
fn read_stdin(mut lines: Lines) {
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => lines.line(line.strip_suffix(b"\n").unwrap_or(&line)),
            Err(error) => {
                eprintln!("logs: reading stdin: {error}");
                break;
            }
        }
    }
    lines.note("eof", "end of input");
}

/// What has been read of a file.
struct Tail {
    /// The file's length when last read: where the next read starts.
    pos: u64,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    /// Which file was read ([`identity`]).
    file: Option<(u64, u64)>,
}

/// The device and inode of a file, on Unix: a path that names another file than before was
/// rotated by renaming. Elsewhere `None`, and only a shrinking file is noticed.
fn identity(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((metadata.dev(), metadata.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

impl Tail {
    /// Reads what was appended to `path` since the last call, or starts over if it shrank;
    /// publishes the complete lines.
    fn poll(&mut self, path: &Path, lines: &mut Lines) -> io::Result<()> {
        let mut file = File::open(path)?;
        let metadata = file.metadata()?;
        let len = metadata.len();
        let file_now = identity(&metadata);
        let start_over = if file_now != self.file {
            Some(("rotated", "is a new file"))
        } else if len < self.pos {
            Some(("truncated", "was truncated"))
        } else {
            None
        };
        if let Some((what, how)) = start_over {
            self.pos = 0;
            self.file = file_now;
            self.partial.clear();
            lines.note(
                what,
                &format!("{} {how}: reading from its start", path.display()),
            );
        }
        if len == self.pos {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.pos))?;
        let read = file.take(len - self.pos).read_to_end(&mut self.partial)?;
        self.pos += read as u64;
        let mut start = 0;
        while let Some(end) = self.partial[start..].iter().position(|&b| b == b'\n') {
            lines.line(&self.partial[start..start + end]);
            start += end + 1;
        }
        self.partial.drain(..start);
        // A line longer than the limit without an end yet: send what there is.
        if self.partial.len() >= MAX_LINE {
            lines.line(&self.partial);
            self.partial.clear();
        }
        Ok(())
    }
}

/// Publishes the lines appended to `path`, polling every `poll`.
fn follow(path: &Path, mut tail: Tail, mut lines: Lines, poll: Duration) {
    let mut failing = false;
    loop {
        match tail.poll(path, &mut lines) {
            Ok(()) => failing = false,
            // Reported once, not every poll: a rotated file may be missing for a while.
            Err(error) if !failing => {
                eprintln!("logs: {}: {error}", path.display());
                failing = true;
            }
            Err(_) => {}
        }
        std::thread::sleep(poll);
    }
}

fn main() {
    let options = Options::parse();
    let hub = Hub::new(HubConfig::new());
    // Check the file before listening: a wrong path is a startup error, not a silent stream.
    let tail = match &options.file {
        None => None,
        Some(path) => match File::open(path).and_then(|file| file.metadata()) {
            Ok(metadata) => Some(Tail {
                pos: if options.from_start {
                    0
                } else {
                    metadata.len()
                },
                partial: Vec::new(),
                file: identity(&metadata),
            }),
            Err(error) => {
                eprintln!("logs: {}: {error}", path.display());
                exit(1);
            }
        },
    };
    let events = hub.clone();
    let tokens = options.token_file.clone();
    // An async router: the token is checked against the file, read without blocking.
    let router = move |request: Request| {
        let (events, tokens) = (events.clone(), tokens.clone());
        async move {
            match request.path() {
                "/" => Route::Reply(Reply::html(include_str!("../../static/logs.html"))),
                "/events" if allowed(&request, tokens.as_deref()).await => Route::Stream(events),
                "/events" => Route::Reply(unauthorized()),
                _ => Route::NotFound,
            }
        }
    };
    let config = server::Config::new();
    let server = match Server::<Smol>::bind_async(options.addr.as_str(), config, router) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("logs: cannot listen on {}: {error}", options.addr);
            exit(1);
        }
    };
    print_listening(server.local_addr());
    let lines = Lines { hub, count: 0 };
    let poll = Duration::from_millis(options.poll_ms);
    std::thread::spawn(move || match (options.file, tail) {
        (Some(path), Some(tail)) => follow(&path, tail, lines, poll),
        _ => read_stdin(lines),
    });
    if let Err(error) = smol::block_on(server.run()) {
        eprintln!("logs: {error}");
        exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future::{block_on, poll_once};

    /// The frames the hub sent to a subscriber since the last call, as text.
    fn sent(subscription: &mut ssewire_futures::Subscription) -> String {
        let mut text = String::new();
        while let Some(Ok(frames)) = block_on(poll_once(subscription.recv())) {
            text.push_str(std::str::from_utf8(&frames).unwrap());
        }
        text
    }

    #[test]
    fn flags() {
        use clap::CommandFactory;
        Options::command().debug_assert();
        let parse_all = |args: &[&str]| Options::try_parse_from(["logs"].iter().chain(args));
        let options = parse_all(&["--file", "x.log", "--from-start"]).unwrap();
        assert_eq!(options.file.as_deref(), Some(Path::new("x.log")));
        assert!(options.from_start);
        assert_eq!(options.poll_ms, 200);
        assert_eq!(options.token_file, None);
        let error = parse_all(&["--file"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
        let error = parse_all(&["--poll-ms", "0"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn tails_appends_partial_lines_truncation_and_rotation() {
        let dir = std::env::temp_dir().join(format!("ssewire-logs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.log");
        std::fs::write(&path, "old\n").unwrap();
        let hub = Hub::new(HubConfig::new());
        let mut subscription = hub.subscribe(None);
        let mut lines = Lines { hub, count: 0 };
        let mut tail = Tail {
            pos: 4,
            partial: Vec::new(),
            file: identity(&std::fs::metadata(&path).unwrap()),
        };

        let append = |text: &str| {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            file.write_all(text.as_bytes()).unwrap();
        };
        tail.poll(&path, &mut lines).unwrap();
        assert_eq!(sent(&mut subscription), "");
        append("one\r\ntw");
        tail.poll(&path, &mut lines).unwrap();
        assert_eq!(sent(&mut subscription), "event: line\nid: 1\ndata: one\n\n");
        append("o\n\n");
        tail.poll(&path, &mut lines).unwrap();
        assert_eq!(
            sent(&mut subscription),
            "event: line\nid: 2\ndata: two\n\nevent: line\nid: 3\ndata:\n\n"
        );
        std::fs::write(&path, "new\n").unwrap();
        tail.poll(&path, &mut lines).unwrap();
        let text = sent(&mut subscription);
        assert!(text.starts_with("id: 3-truncated\ndata: "), "{text}");
        assert!(
            text.ends_with("event: line\nid: 4\ndata: new\n\n"),
            "{text}"
        );

        // Rotated by renaming: a new file at the path, longer than what was read of the old.
        #[cfg(unix)]
        {
            std::fs::rename(&path, dir.join("test.log.1")).unwrap();
            std::fs::write(&path, "first\nsecond\n").unwrap();
            tail.poll(&path, &mut lines).unwrap();
            let text = sent(&mut subscription);
            assert!(text.starts_with("id: 4-rotated\ndata: "), "{text}");
            assert!(
                text.ends_with(
                    "event: line\nid: 5\ndata: first\n\nevent: line\nid: 6\ndata: second\n\n"
                ),
                "{text}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
