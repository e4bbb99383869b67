//! `sse-cat`: print the events of a Server-Sent Events stream, as they arrive (smol).
//!
//! It shows the reconnecting [`EventSource`] client: it checks the status and content type,
//! follows redirects, reconnects when the stream drops (after the server's `retry`, backing
//! off on failures) and sends `Last-Event-ID` so that the server can replay what was missed;
//! errors on the way are reported and do not stop it; [`EventSource::failure`] says why it
//! stopped for good.
//!
//! ```text
//! cargo run -p ssewire-examples --bin sse-cat -- http://127.0.0.1:8080/events
//! [price-update #1] {"symbol":"ACME","price":101.32}
//! cargo run -p ssewire-examples --bin sse-cat -- --json -n 3 http://127.0.0.1:8080/events
//! {"event":"price-update","data":"{\"symbol\":\"ACME\",\"price\":101.32}","id":"1","last_event_id":"1"}
//! ```

use std::error::Error;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::exit;

use clap::Parser;
use serde::Serialize;

use futures_lite::StreamExt;
// `EventSource::failure` returns the core's `Failure`, which ssewire-futures does not re-export.
use ssewire::client::Failure;
use ssewire_examples::{positive, TlsFlags, EXIT_USAGE};
use ssewire_futures::client::{self, EventSource, Update};
use ssewire_futures::Event;

/// Exit status: the server answered something other than an event stream.
const EXIT_FAILURE: i32 = 1;
/// Exit status: the retry budget is spent.
const EXIT_GAVE_UP: i32 = 3;

/// How events are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// `[type #id] data`.
    Text,
    /// A JSON object per line.
    Json,
    /// The data only.
    Raw,
}

/// sse-cat: print the events of a Server-Sent Events stream as they arrive
///
/// Connects to URL (http:// or https://), prints each event on stdout, and reconnects like a
/// browser when the stream drops, sending Last-Event-ID so that the server can replay what
/// was missed. Notices (connected, reconnecting in how long, reconnected) and errors go to
/// stderr: the waits show the reconnection time (the server's `retry:`), backing off only on
/// failures.
///
/// Each event is printed as `[TYPE #LAST-EVENT-ID] DATA`, one per line, more data lines
/// indented; or with --json, or --raw.
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    verbatim_doc_comment,
    args_override_self = true,
    after_help = EXIT_STATUS
)]
struct Options {
    /// The stream's URL: http:// or https://
    #[arg(value_name = "URL")]
    url: String,
    /// One JSON object per event: {"event":…,"data":…,"id":… (if the event had its own),
    /// "last_event_id":…}
    #[arg(long, conflicts_with = "raw")]
    json: bool,
    /// The data only, one line per data line
    #[arg(long)]
    raw: bool,
    /// Exit after N events
    #[arg(short = 'n', long, value_name = "N", value_parser = positive)]
    count: Option<u64>,
    /// The request method [default: GET, or POST with a body]
    #[arg(short = 'X', long, value_name = "METHOD")]
    method: Option<String>,
    /// Send TEXT as the request body, on every (re)connection
    #[arg(short = 'd', long, value_name = "TEXT", conflicts_with = "data_file")]
    data: Option<String>,
    /// Send the file's bytes as the request body
    #[arg(long = "data-file", value_name = "PATH")]
    data_file: Option<PathBuf>,
    /// Send this request header (repeatable)
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Trust the certificates in this PEM file too (a private CA)
    #[arg(long, value_name = "PATH")]
    cacert: Option<String>,
    /// Accept any certificate: for a test server only, never more
    #[arg(short = 'k', long)]
    insecure: bool,
    /// Go through this HTTP proxy (`http://[user:pass@]host[:port]`): a CONNECT tunnel for
    /// https://; '' for none [default: from http_proxy, https_proxy, all_proxy, as curl]
    #[arg(short = 'x', long, value_name = "URL")]
    proxy: Option<String>,
    /// Hosts reached without the proxy, comma-separated: names (and their subdomains), IP
    /// addresses, CIDR blocks, '*' [default: no_proxy]
    #[arg(long, value_name = "LIST")]
    noproxy: Option<String>,
    /// Resume from this event ID (sent as Last-Event-ID)
    #[arg(long = "last-event-id", value_name = "ID")]
    last_event_id: Option<String>,
    /// Give up after N failed reconnection attempts in a row [default: never, like a browser]
    #[arg(long = "max-retries", value_name = "N")]
    max_retries: Option<u32>,
    /// Reconnection time until the server sends `retry:`, in milliseconds [default: 3000]
    #[arg(long = "reconnect-ms", value_name = "MS")]
    reconnect_ms: Option<u64>,
    /// Reconnect when the stream sends nothing (not even a keep-alive) for MS milliseconds
    /// [default: never, like a browser]
    #[arg(long = "read-timeout-ms", value_name = "MS",
          value_parser = positive)]
    read_timeout_ms: Option<u64>,
    /// Print comments (keep-alives) and `retry` values too: `: TEXT` and `retry: MS`, or
    /// {"comment":…} and {"retry":MS}
    #[arg(long)]
    comments: bool,
    /// No notices on stderr for opened streams (errors still)
    #[arg(short = 'q', long)]
    quiet: bool,
}

const EXIT_STATUS: &str = "\
Exit status:
  0  N events received (-n), or the server ended the stream for good with 204 No Content
  1  the server answered something other than an event stream (a status other than 200,
     another content type, a bad redirect), or stdout failed
  2  a bad command line or URL
  3  gave up: --max-retries attempts in a row failed (connection refused, reset, …)";

impl Options {
    /// How events are printed.
    fn format(&self) -> Format {
        match (self.json, self.raw) {
            (true, _) => Format::Json,
            (false, true) => Format::Raw,
            (false, false) => Format::Text,
        }
    }

    /// The request body, from `--data` or `--data-file`.
    fn body(&self) -> Result<Option<Vec<u8>>, String> {
        if let Some(path) = &self.data_file {
            let bytes = std::fs::read(path)
                .map_err(|error| format!("cannot read '{}': {error}", path.display()))?;
            return Ok(Some(bytes));
        }
        Ok(self.data.clone().map(String::into_bytes))
    }

    fn tls(&self) -> TlsFlags {
        TlsFlags {
            cacert: self.cacert.clone(),
            insecure: self.insecure,
        }
    }
}

/// `Name: value` as (name, value); the value without the spaces around it.
fn parse_header(header: &str) -> Result<(String, String), String> {
    let invalid = || "expected 'Name: value'".to_owned();
    let (name, value) = header.split_once(':').ok_or_else(invalid)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(invalid());
    }
    // The library checks values (no CR, LF or NUL) before it connects.
    Ok((name.to_owned(), value.trim().to_owned()))
}

fn main() {
    let options = Options::parse();
    let body = options.body().unwrap_or_else(|error| {
        eprintln!("sse-cat: {error}");
        exit(EXIT_USAGE);
    });
    let mut config = client::Config::new().retry_budget(options.max_retries);
    for (name, value) in &options.headers {
        config = config.header(name, value);
    }
    if let Some(id) = &options.last_event_id {
        config = config.last_event_id(id);
    }
    if let Some(ms) = options.reconnect_ms {
        config = config.initial_delay(std::time::Duration::from_millis(ms));
    }
    if let Some(ms) = options.read_timeout_ms {
        config = config.read_timeout(Some(std::time::Duration::from_millis(ms)));
    }
    // As curl: a body makes it a POST unless a method is given.
    let method = match (&options.method, &body) {
        (Some(method), _) => Some(method.as_str()),
        (None, Some(_)) => Some("POST"),
        (None, None) => None,
    };
    if let Some(method) = method {
        config = config.method(method);
    }
    if let Some(body) = body {
        config = config.body(body);
    }
    if let Some(proxy) = proxies(&options) {
        config = config.proxy(proxy);
    }
    let source = match options.tls().event_source(&options.url, config) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("sse-cat: {error}");
            exit(EXIT_USAGE);
        }
    };
    exit(smol::block_on(run(source, &options)));
}

/// The proxies `--proxy` and `--noproxy` ask for, if they change the environment's.
fn proxies(options: &Options) -> Option<client::ProxyConfig> {
    let proxy = match options.proxy.as_deref() {
        Some("") => return Some(client::ProxyConfig::none()),
        Some(url) => client::ProxyConfig::all(url),
        None if options.noproxy.is_some() => client::ProxyConfig::from_env(),
        None => return None,
    };
    Some(match &options.noproxy {
        Some(list) => proxy.no_proxy(list),
        None if options.proxy.is_some() => {
            // As curl: the environment's no_proxy still counts with --proxy.
            let env = client::ProxyConfig::from_env();
            proxy.no_proxy(env.no_proxy_list())
        }
        None => proxy,
    })
}

/// Prints the events of `source` until it stops or `--count` is reached; the exit status.
async fn run(mut source: EventSource, options: &Options) -> i32 {
    let mut stdout = io::stdout().lock();
    let (mut opens, mut events) = (0u64, 0u64);
    while let Some(update) = source.next().await {
        let written = match update {
            Ok(Update::Open) => {
                opens += 1;
                if !options.quiet {
                    if opens == 1 {
                        eprintln!("sse-cat: connected to {}", source.url());
                    } else {
                        eprintln!(
                            "sse-cat: reconnected to {} (reconnection {}, last event ID '{}')",
                            source.url(),
                            opens - 1,
                            source.last_event_id()
                        );
                    }
                }
                Ok(())
            }
            Ok(Update::Event(event)) => {
                events += 1;
                write_event(&mut stdout, &event, options.format())
            }
            Ok(Update::Comment(text)) if options.comments => {
                write_comment(&mut stdout, &text, options.format())
            }
            Ok(Update::Retry(ms)) if options.comments => {
                write_retry(&mut stdout, ms, options.format())
            }
            Ok(Update::Reconnecting(wait)) => {
                if !options.quiet {
                    eprintln!("sse-cat: reconnecting in {} ms", wait.as_millis());
                }
                Ok(())
            }
            Ok(_) => Ok(()),
            // Refused, reset, timed out, malformed: the client goes on (or gives up, below).
            Err(error) => {
                eprintln!("sse-cat: {}", chain(&error));
                Ok(())
            }
        };
        match written {
            Ok(()) => {}
            // The reader went away (`sse-cat … | head`): a normal end.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return 0,
            Err(error) => {
                eprintln!("sse-cat: cannot write to stdout: {error}");
                return EXIT_FAILURE;
            }
        }
        if options.count.is_some_and(|count| events >= count) {
            source.close();
            return 0;
        }
    }
    match source.failure() {
        Some(Failure::NoContent) => {
            if !options.quiet {
                eprintln!("sse-cat: server answered 204 no content: the stream is over");
            }
            0
        }
        Some(Failure::RetryBudgetExhausted) => {
            let retries = options.max_retries.unwrap_or_default();
            eprintln!("sse-cat: gave up after {retries} retries: retry budget exhausted");
            EXIT_GAVE_UP
        }
        Some(failure) => {
            eprintln!("sse-cat: {failure}");
            EXIT_FAILURE
        }
        None => {
            eprintln!("sse-cat: the event source stopped");
            EXIT_FAILURE
        }
    }
}

/// An event as `--json` prints it, members in this order; `id` only if the event's block had
/// one.
#[derive(Serialize)]
struct JsonEvent<'a> {
    event: &'a str,
    data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    last_event_id: &'a str,
}

/// Writes `value` as one line of JSON.
fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

/// Writes one event in `format`.
fn write_event(out: &mut impl Write, event: &Event, format: Format) -> io::Result<()> {
    match format {
        Format::Text => {
            let mut lines = event.data.split('\n');
            let first = lines.next().unwrap_or_default();
            if event.last_event_id.is_empty() {
                write!(out, "[{}] {first}", event.event)?;
            } else {
                write!(out, "[{} #{}] {first}", event.event, event.last_event_id)?;
            }
            for line in lines {
                write!(out, "\n  {line}")?;
            }
            writeln!(out)
        }
        Format::Json => write_json(
            out,
            &JsonEvent {
                event: &event.event,
                data: &event.data,
                id: event.id.as_deref(),
                last_event_id: &event.last_event_id,
            },
        ),
        Format::Raw => writeln!(out, "{}", event.data),
    }
}

/// Writes a comment in `format` (nothing in raw mode: it has data only).
fn write_comment(out: &mut impl Write, text: &str, format: Format) -> io::Result<()> {
    match format {
        Format::Text => writeln!(out, ": {text}"),
        Format::Json => write_json(out, &serde_json::json!({ "comment": text })),
        Format::Raw => Ok(()),
    }
}

/// Writes a `retry` value in `format` (nothing in raw mode).
fn write_retry(out: &mut impl Write, ms: u64, format: Format) -> io::Result<()> {
    match format {
        Format::Text => writeln!(out, "retry: {ms}"),
        Format::Json => write_json(out, &serde_json::json!({ "retry": ms })),
        Format::Raw => Ok(()),
    }
}

/// An error with its sources: `connecting failed: Connection refused (os error 111)`.
fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::error::ErrorKind;

    fn parse_all(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(["sse-cat"].iter().chain(args))
    }

    fn options(args: &[&str]) -> Options {
        parse_all(args).unwrap_or_else(|error| panic!("{args:?}: {error}"))
    }

    #[test]
    fn flags() {
        <Options as clap::CommandFactory>::command().debug_assert();
        let defaults = options(&["http://h/"]);
        assert_eq!(defaults.url, "http://h/");
        assert_eq!(defaults.format(), Format::Text);
        assert_eq!((defaults.count, defaults.max_retries), (None, None));
        assert!(!defaults.quiet && !defaults.comments && defaults.headers.is_empty());
        assert_eq!(defaults.body(), Ok(None));
        assert_eq!(defaults.tls(), TlsFlags::default());
        let all = options(&[
            "--json",
            "-n",
            "3",
            "-H",
            "Authorization: Bearer x y",
            "--header=X-A:b",
            "--last-event-id",
            "41",
            "--max-retries",
            "0",
            "--reconnect-ms",
            "10",
            "--read-timeout-ms",
            "5000",
            "-X",
            "REPORT",
            "-d",
            "{}",
            "--comments",
            "-q",
            "-k",
            "-x",
            "http://p:3128",
            "--noproxy",
            "localhost",
            "http://h/",
        ]);
        assert_eq!(all.format(), Format::Json);
        assert_eq!(all.count, Some(3));
        assert_eq!(
            all.headers,
            [
                ("Authorization".to_owned(), "Bearer x y".to_owned()),
                ("X-A".to_owned(), "b".to_owned())
            ]
        );
        assert_eq!(all.last_event_id.as_deref(), Some("41"));
        assert_eq!(all.max_retries, Some(0));
        assert_eq!(all.reconnect_ms, Some(10));
        assert_eq!(all.read_timeout_ms, Some(5000));
        assert_eq!(all.method.as_deref(), Some("REPORT"));
        assert!(all.tls().insecure);
        assert_eq!(
            proxies(&all),
            Some(client::ProxyConfig::all("http://p:3128").no_proxy("localhost"))
        );
        assert_eq!(proxies(&defaults), None);
        let off = options(&["--proxy", "", "u"]);
        assert_eq!(proxies(&off), Some(client::ProxyConfig::none()));
        assert_eq!(all.body(), Ok(Some(b"{}".to_vec())));
        let missing = options(&["--data-file", "/nonexistent/body.json", "u"]).body();
        assert!(
            missing
                .as_ref()
                .is_err_and(|text| text.starts_with("cannot read '/nonexistent/body.json'")),
            "{missing:?}"
        );
        assert!(all.comments && all.quiet);
        assert_eq!(options(&["--raw", "--raw", "u"]).format(), Format::Raw);
        assert_eq!(
            parse_all(&["--help"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
    }

    #[test]
    fn bad_flags() {
        for (args, kind) in [
            (&[][..], ErrorKind::MissingRequiredArgument),
            (&["a", "b"], ErrorKind::UnknownArgument),
            (&["--json", "--raw", "u"], ErrorKind::ArgumentConflict),
            (
                &["-d", "a", "--data-file", "f", "u"],
                ErrorKind::ArgumentConflict,
            ),
            (&["-n", "0", "u"], ErrorKind::ValueValidation),
            (&["-n", "x", "u"], ErrorKind::ValueValidation),
            (&["-H", "NoColon", "u"], ErrorKind::ValueValidation),
            (&["-H", "Bad Name: v", "u"], ErrorKind::ValueValidation),
            (&["-H", ": v", "u"], ErrorKind::ValueValidation),
            (&["--max-retries", "x", "u"], ErrorKind::ValueValidation),
            (&["--read-timeout-ms", "0", "u"], ErrorKind::ValueValidation),
            (&["--jsn", "u"], ErrorKind::UnknownArgument),
        ] {
            let error = parse_all(args).unwrap_err();
            assert_eq!(error.kind(), kind, "{args:?}: {error}");
            assert_eq!(error.exit_code(), EXIT_USAGE, "{args:?}");
        }
        let error = parse_all(&["-H", "NoColon", "u"]).unwrap_err().to_string();
        assert!(
            error.contains("invalid value 'NoColon'") && error.contains("expected 'Name: value'"),
            "{error}"
        );
    }

    fn printed(event: &Event, format: Format) -> String {
        let mut out = Vec::new();
        write_event(&mut out, event, format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn event_formats() {
        let event = Event::new("a \"b\"\nc").event("price-update").id("12");
        assert_eq!(
            printed(&event, Format::Text),
            "[price-update #12] a \"b\"\n  c\n"
        );
        assert_eq!(
            printed(&event, Format::Json),
            "{\"event\":\"price-update\",\"data\":\"a \\\"b\\\"\\nc\",\"id\":\"12\",\"last_event_id\":\"12\"}\n"
        );
        assert_eq!(printed(&event, Format::Raw), "a \"b\"\nc\n");
        let plain = Event::new("hi");
        assert_eq!(printed(&plain, Format::Text), "[message] hi\n");
        // After an earlier event set the ID: no `id` of its own, the last event ID printed.
        let later = Event::new("x").last_event_id("12");
        assert_eq!(printed(&later, Format::Text), "[message #12] x\n");
        let value: serde_json::Value =
            serde_json::from_str(&printed(&later, Format::Json)).unwrap();
        assert_eq!(value.get("id"), None);
        assert_eq!(value["last_event_id"], "12");
        let mut out = Vec::new();
        write_retry(&mut out, 2000, Format::Json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["retry"], 2000);
    }

    #[test]
    fn error_chain() {
        let io = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        let error = client::ClientError::Connect(io);
        assert_eq!(chain(&error), "connecting failed: refused");
    }
}
