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
use std::process::exit;

use futures_lite::StreamExt;
// `EventSource::failure` returns the core's `Failure`, which ssewire-futures does not re-export.
use ssewire::client::Failure;
use ssewire_examples::args::{self, Arg, Args, Command, UsageError, EXIT_USAGE};
use ssewire_examples::{json, TlsFlags};
use ssewire_futures::client::{self, EventSource, Update};
use ssewire_futures::Event;

const HELP: &str = "\
sse-cat: print the events of a Server-Sent Events stream as they arrive

Usage: sse-cat [OPTIONS] URL

Connects to URL (http:// or https://), prints each event on stdout, and reconnects like a browser
when the stream drops, sending Last-Event-ID so that the server can replay what was missed.
Notices (connected, reconnecting in how long, reconnected) and errors go to stderr: the
waits show the reconnection time (the server's `retry:`), backing off only on failures.

Output (one of):
                            [TYPE #LAST-EVENT-ID] DATA, one event per line; more data lines
                            indented
      --json                one JSON object per event: {\"event\":…,\"data\":…,
                            \"id\":… (if the event had its own), \"last_event_id\":…}
      --raw                 the data only, one line per data line

Options:
  -n, --count N             exit after N events
  -X, --method METHOD       the request method [default: GET, or POST with a body]
  -d, --data TEXT           send TEXT as the request body, on every (re)connection
      --data-file PATH      send the file's bytes as the request body
  -H, --header 'NAME: VALUE'
                            send this request header (repeatable)
      --cacert PATH         trust the certificates in this PEM file too (a private CA)
  -k, --insecure            accept any certificate: for a test server only, never more
  -x, --proxy URL           go through this HTTP proxy (http://[user:pass@]host[:port]): a
                            CONNECT tunnel for https://; '' for none [default: from
                            http_proxy, https_proxy, all_proxy, as curl]
      --noproxy LIST        hosts reached without the proxy, comma-separated: names (and
                            their subdomains), IP addresses, CIDR blocks, '*' [default:
                            no_proxy]
      --last-event-id ID    resume from this event ID (sent as Last-Event-ID)
      --max-retries N       give up after N failed reconnection attempts in a row
                            [default: never, like a browser]
      --reconnect-ms MS     reconnection time until the server sends `retry:` [default: 3000]
      --read-timeout-ms MS  reconnect when the stream sends nothing (not even a keep-alive)
                            for MS milliseconds [default: never, like a browser]
      --comments            print comments (keep-alives) and `retry` values too: `: TEXT` and
                            `retry: MS`, or {\"comment\":…} and {\"retry\":MS}
  -q, --quiet               no notices on stderr for opened streams (errors still)
  -h, --help                print this help

Exit status:
  0  N events received (-n), or the server ended the stream for good with 204 No Content
  1  the server answered something other than an event stream (a status other than 200,
     another content type, a bad redirect), or stdout failed
  2  a bad command line or URL
  3  gave up: --max-retries attempts in a row failed (connection refused, reset, …)
";

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

#[derive(Clone, Debug, PartialEq, Eq)]
struct Options {
    url: String,
    format: Format,
    count: Option<u64>,
    headers: Vec<(String, String)>,
    last_event_id: Option<String>,
    max_retries: Option<u32>,
    reconnect_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    tls: TlsFlags,
    proxy: Option<String>,
    noproxy: Option<String>,
    method: Option<String>,
    body: Option<Vec<u8>>,
    comments: bool,
    quiet: bool,
}

fn parse(mut args: Args) -> Result<Command<Options>, UsageError> {
    let mut url = None;
    let mut options = Options {
        url: String::new(),
        format: Format::Text,
        count: None,
        headers: Vec::new(),
        last_event_id: None,
        max_retries: None,
        reconnect_ms: None,
        read_timeout_ms: None,
        tls: TlsFlags::default(),
        proxy: None,
        noproxy: None,
        method: None,
        body: None,
        comments: false,
        quiet: false,
    };
    let format = |options: &mut Options, format: Format| {
        if options.format != Format::Text && options.format != format {
            return Err(UsageError("--json and --raw cannot be combined".to_owned()));
        }
        options.format = format;
        Ok(())
    };
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Long("help") | Arg::Short('h') => return Ok(Command::Help),
            Arg::Long("json") => format(&mut options, Format::Json)?,
            Arg::Long("raw") => format(&mut options, Format::Raw)?,
            Arg::Long("count") | Arg::Short('n') => {
                let count: u64 = args.parsed("--count")?;
                if count == 0 {
                    return Err(UsageError("--count must be at least 1".to_owned()));
                }
                options.count = Some(count);
            }
            Arg::Long("header") | Arg::Short('H') => {
                let header = args.value("--header")?;
                options.headers.push(parse_header(&header)?);
            }
            Arg::Long("last-event-id") => {
                options.last_event_id = Some(args.value("--last-event-id")?);
            }
            Arg::Long("max-retries") => options.max_retries = Some(args.parsed("--max-retries")?),
            Arg::Long("reconnect-ms") => {
                options.reconnect_ms = Some(args::millis(&mut args, "--reconnect-ms", 0)?);
            }
            Arg::Long("read-timeout-ms") => {
                options.read_timeout_ms = Some(args::millis(&mut args, "--read-timeout-ms", 1)?);
            }
            Arg::Long("cacert") => options.tls.cacert = Some(args.value("--cacert")?),
            Arg::Long("insecure") | Arg::Short('k') => options.tls.insecure = true,
            Arg::Long("proxy") | Arg::Short('x') => options.proxy = Some(args.value("--proxy")?),
            Arg::Long("noproxy") => options.noproxy = Some(args.value("--noproxy")?),
            Arg::Long("method") | Arg::Short('X') => {
                options.method = Some(args.value("--method")?);
            }
            Arg::Long("data") | Arg::Short('d') if options.body.is_none() => {
                options.body = Some(args.value("--data")?.into_bytes());
            }
            Arg::Long("data-file") if options.body.is_none() => {
                let path = args.value("--data-file")?;
                let bytes = std::fs::read(&path)
                    .map_err(|error| UsageError(format!("cannot read '{path}': {error}")))?;
                options.body = Some(bytes);
            }
            Arg::Long("data" | "data-file") | Arg::Short('d') => {
                return Err(UsageError("only one --data or --data-file".to_owned()));
            }
            Arg::Long("comments") => options.comments = true,
            Arg::Long("quiet") | Arg::Short('q') => options.quiet = true,
            Arg::Positional(value) if url.is_none() => url = Some(value),
            other => return Err(other.unexpected()),
        }
    }
    options.url = url.ok_or_else(|| UsageError("missing URL".to_owned()))?;
    Ok(Command::Run(options))
}

/// `Name: value` as (name, value); the value without the spaces around it.
fn parse_header(header: &str) -> Result<(String, String), UsageError> {
    let invalid = || {
        UsageError(format!(
            "invalid header '{header}' (expected 'Name: value')"
        ))
    };
    let (name, value) = header.split_once(':').ok_or_else(invalid)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(invalid());
    }
    // The library checks values (no CR, LF or NUL) before it connects.
    Ok((name.to_owned(), value.trim().to_owned()))
}

fn main() {
    let options = args::parse_or_exit("sse-cat", HELP, parse);
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
    let method = match (&options.method, &options.body) {
        (Some(method), _) => Some(method.as_str()),
        (None, Some(_)) => Some("POST"),
        (None, None) => None,
    };
    if let Some(method) = method {
        config = config.method(method);
    }
    if let Some(body) = &options.body {
        config = config.body(body.clone());
    }
    if let Some(proxy) = proxies(&options) {
        config = config.proxy(proxy);
    }
    let source = match options.tls.event_source(&options.url, config) {
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
                write_event(&mut stdout, &event, options.format)
            }
            Ok(Update::Comment(text)) if options.comments => {
                write_comment(&mut stdout, &text, options.format)
            }
            Ok(Update::Retry(ms)) if options.comments => {
                write_retry(&mut stdout, ms, options.format)
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
        Format::Json => {
            let mut members = vec![("event", event.event.as_str()), ("data", &event.data)];
            members.extend(event.id.as_deref().map(|id| ("id", id)));
            members.push(("last_event_id", &event.last_event_id));
            writeln!(out, "{}", json::object(&members))
        }
        Format::Raw => writeln!(out, "{}", event.data),
    }
}

/// Writes a comment in `format` (nothing in raw mode: it has data only).
fn write_comment(out: &mut impl Write, text: &str, format: Format) -> io::Result<()> {
    match format {
        Format::Text => writeln!(out, ": {text}"),
        Format::Json => writeln!(out, "{}", json::object(&[("comment", text)])),
        Format::Raw => Ok(()),
    }
}

/// Writes a `retry` value in `format` (nothing in raw mode).
fn write_retry(out: &mut impl Write, ms: u64, format: Format) -> io::Result<()> {
    match format {
        Format::Text => writeln!(out, "retry: {ms}"),
        Format::Json => writeln!(out, "{{\"retry\":{ms}}}"),
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

    fn parse_all(args: &[&str]) -> Result<Command<Options>, UsageError> {
        parse(Args::new(args.iter().copied()))
    }

    fn options(args: &[&str]) -> Options {
        match parse_all(args) {
            Ok(Command::Run(options)) => options,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let defaults = options(&["http://h/"]);
        assert_eq!(defaults.url, "http://h/");
        assert_eq!(defaults.format, Format::Text);
        assert_eq!((defaults.count, defaults.max_retries), (None, None));
        assert!(!defaults.quiet && !defaults.comments && defaults.headers.is_empty());
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
            "-x",
            "http://p:3128",
            "--noproxy",
            "localhost",
            "http://h/",
        ]);
        assert_eq!(all.format, Format::Json);
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
        assert_eq!(
            proxies(&all),
            Some(client::ProxyConfig::all("http://p:3128").no_proxy("localhost"))
        );
        assert_eq!(proxies(&defaults), None);
        let off = options(&["--proxy", "", "u"]);
        assert_eq!(proxies(&off), Some(client::ProxyConfig::none()));
        assert_eq!(all.body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(
            parse_all(&["-d", "a", "--data-file", "f", "u"]),
            Err(UsageError("only one --data or --data-file".to_owned()))
        );
        assert!(matches!(
            parse_all(&["--data-file", "/nonexistent/body.json", "u"]),
            Err(UsageError(text)) if text.starts_with("cannot read '/nonexistent/body.json'")
        ));
        assert!(all.comments && all.quiet);
        assert_eq!(options(&["--raw", "--raw", "u"]).format, Format::Raw);
        assert_eq!(parse_all(&["--help"]), Ok(Command::Help));
    }

    #[test]
    fn bad_flags() {
        let error = |args: &[&str]| parse_all(args).unwrap_err().0;
        assert_eq!(error(&[]), "missing URL");
        assert_eq!(error(&["a", "b"]), "unexpected argument 'b'");
        assert_eq!(
            error(&["--json", "--raw", "u"]),
            "--json and --raw cannot be combined"
        );
        assert_eq!(error(&["-n", "0", "u"]), "--count must be at least 1");
        assert_eq!(
            error(&["-n", "x", "u"]),
            "invalid value 'x' for --count: invalid digit found in string"
        );
        assert_eq!(
            error(&["-H", "NoColon", "u"]),
            "invalid header 'NoColon' (expected 'Name: value')"
        );
        assert_eq!(
            error(&["-H", "Bad Name: v", "u"]),
            "invalid header 'Bad Name: v' (expected 'Name: value')"
        );
        assert_eq!(
            error(&["--max-retries", "-1", "u"]).split(':').next(),
            Some("invalid value '-1' for --max-retries")
        );
        assert_eq!(error(&["--jsn", "u"]), "unknown flag --jsn");
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
